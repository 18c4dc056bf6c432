package authz

import rego.v1

# Allowed from 09:00 to 16:59:59 UTC, read from input.environment.time.
decision if {
	t := time.parse_rfc3339_ns(input.environment.time)
	[hour, _, _] := time.clock(t)
	hour >= 9
	hour < 17
}
