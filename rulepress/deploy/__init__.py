"""Stage 2 of the pipeline: rules.json entries + an environment → desired state → Plan → API calls.

environments (tenants.toml) → desired (what a tenant should hold) → plan (+ plan_rules, ordering, changes)
→ apply; report prints a plan; flow runs the steps in order for one or more environments; export writes a
tenant back as markdown.
"""
