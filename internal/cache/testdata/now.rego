package authz

import rego.v1

# Uses the evaluation clock: never cacheable.
decision if {
	input.subject.id == "alice"
	time.now_ns() > 0
}
