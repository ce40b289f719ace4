"""Stage 1 of the pipeline: markdown files → Templates → checked → rules.json (and back, typed).

source (the folder and its files) → frontmatter + markdown → schema (a Template) → checks (code and
across files) → jscheck (Node) → rulesjson (bytes, byte-stable) ; build ties them together with its cache.
"""
