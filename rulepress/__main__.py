from __future__ import annotations

import sys

from rulepress.cli import main

sys.exit(main())
