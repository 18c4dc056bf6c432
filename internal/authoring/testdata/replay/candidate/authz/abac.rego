# Attribute-based access control: decisions from facts about the subject,
# the resource and the environment rather than from roles.
#
# Two grants (the owner, the same department) and denials for clearance,
# office hours (with invalid_time for a clock that cannot be read) and the
# network. A denial applies whoever granted the request, so a role cannot lift
# a clearance requirement, and neither can ownership.
#
# Numbers arrive as JSON numbers (the PDP receives them as protobuf doubles,
# so clearance 2 may arrive as 2.0); Rego compares numbers by value, and
# 2 == 2.0 holds. Compare numbers only after checking they are numbers:
# Rego orders values of different types too, and "2" > 1 is true.
package authz

# --- Attributes, with fail-closed defaults ----------------------------------

# clearance is the subject's clearance level; none (or not a number) is 0.
default clearance := 0

clearance := c if {
	c := input.subject.attributes.clearance
	is_number(c)
}

# sensitivity is the resource's level (data.abac.levels: public 0 ...
# restricted 3). A resource that states none is public; one that states
# something that is not a number is treated as the most sensitive level,
# because a typo must not make a secret public.
default sensitivity := 0

sensitivity := s if {
	s := input.resource.attributes.sensitivity
	is_number(s)
}

sensitivity := max([level | some level in data.abac.levels]) if {
	s := input.resource.attributes.sensitivity
	not is_number(s)
}

# confidential is a name for a number, read from data.
confidential := data.abac.levels.confidential

# is_owner holds when the resource names the subject as its owner. The
# empty-string check matters: an anonymous subject ("") must not own every
# resource whose owner field was left empty.
is_owner if {
	owner := input.resource.attributes.owner
	owner != ""
	owner == input.subject.id
}

# --- Grants -----------------------------------------------------------------

# The owner of a resource may do the owner actions (read, write, share).
grants contains sprintf("owner grants %s:%s", [input.resource.type, input.action.name]) if {
	is_owner
	input.action.name in data.abac.owner_actions
}

# Members of the resource's department may do the department actions (read).
grants contains sprintf("department:%s grants %s:%s", [dept, input.resource.type, input.action.name]) if {
	dept := input.subject.attributes.department
	is_string(dept)
	dept != ""
	dept == input.resource.attributes.department
	input.action.name in data.abac.department_actions
}

# --- Denials ----------------------------------------------------------------

# Nobody acts on a resource more sensitive than their clearance.
denials contains "insufficient_clearance" if {
	sensitivity > clearance
}

# Changes (data.abac.office_hours.actions) happen on working days, during
# working hours, in UTC. The clock is environment.time from the input, never
# time.now_ns(): with the time in the input, the same request always gets the
# same decision, so it can be tested, cached and replayed.
office_hours_apply if input.action.name in data.abac.office_hours.actions

denials contains "outside_office_hours" if {
	office_hours_apply
	request_time_ns # defined, so the time is valid; else invalid_time says so
	not within_office_hours
}

# Written as "deny unless provably valid": if environment.time is missing or
# is not RFC 3339, time.parse_rfc3339_ns fails, request_time_ns is undefined,
# and `not` turns that into a denial. Never write a check so that an error
# allows.
#
# A trap: `not is_number(request_time_ns)` would NOT work here. OPA evaluates
# the arguments of a call before the call, so with an undefined argument the
# whole expression, `not` included, is undefined and the denial never fires.
# Negate a rule or a reference (`not request_time_ns`), not a call on one.
denials contains "invalid_time" if {
	office_hours_apply
	not request_time_ns
}

# request_time_ns is environment.time in nanoseconds since 1970, UTC;
# undefined when the time is missing or malformed.
request_time_ns := time.parse_rfc3339_ns(input.environment.time)

within_office_hours if {
	hours := data.abac.office_hours
	time.weekday(request_time_ns) in hours.days
	[hour, _, _] := time.clock(request_time_ns)
	hour >= hours.start_hour
	hour < hours.end_hour
}

# Confidential resources are reached only from trusted networks. A missing or
# malformed environment.ip is not trusted (net.cidr_contains fails, so
# from_trusted_network is undefined, so `not` makes the denial hold).
denials contains "untrusted_network" if {
	sensitivity >= confidential
	not from_trusted_network
}

from_trusted_network if {
	some cidr in data.abac.trusted_networks
	net.cidr_contains(cidr, input.environment.ip)
}
