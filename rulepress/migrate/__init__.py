"""Legacy rules -> post-login actions (`rulepress migrate`, issue 7; docs/MIGRATE.md).

Pipeline: rule file -> Template (rulepress.template) -> transform.js in Node (syntax tree edits) -> action
code + secrets + dependencies + TODOs -> compose (markdown) + testcases (converted test blocks) -> the
output is parsed and validated like any rule file, and its converted tests are run (rulepress.testing).
"""

from __future__ import annotations

from rulepress.migrate.migration import EXIT_MANUAL, Outcome, migrate_sources

__all__ = ["EXIT_MANUAL", "Outcome", "migrate_sources"]
