"""The local tenant: the Auth0 Management API served on loopback (see docs/TENANT.md).

    from rulepress.tenant import start_tenant
    with start_tenant(tls=True) as tenant:
        tenant.base_url, tenant.client_id, tenant.client_secret, tenant.ca_file
"""

from __future__ import annotations

from rulepress.tenant.app import Tenant
from rulepress.tenant.options import ALL_SCOPES, PLANS, TenantOptions
from rulepress.tenant.server import RunningTenant, serve_forever, start_tenant

__all__ = ["ALL_SCOPES", "PLANS", "RunningTenant", "Tenant", "TenantOptions", "serve_forever",
           "start_tenant"]
