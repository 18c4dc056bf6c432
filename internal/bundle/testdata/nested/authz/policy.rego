package authz

import rego.v1

decision := {"allow": data.lib.yes}
