package authz

import rego.v1

# Two values for one complete rule: an evaluation error (eval_conflict_error).
decision := true if input.subject.id == "alice"

decision := false if count(input.subject.roles) == 0
