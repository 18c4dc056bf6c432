package results

# The default entrypoint: allow alice only.
decision := {"allow": input.subject.id == "alice", "reasons": ["checked"]}

bool_true := true

bool_false := false

object_allow := {"allow": true, "reasons": ["admin"], "obligations": {"log": true, "ttl": 30, "tags": [1, "a"]}}

object_deny := {"allow": false, "reasons": ["not_owner"]}

undefined := true if input.never == "set"

string_result := "yes"

array_result := [true]

no_allow := {"reasons": ["x"]}

allow_yes := {"allow": "yes"}

reasons_not_strings := {"allow": true, "reasons": [1]}

reasons_not_array := {"allow": true, "reasons": "admin"}

reasons_null := {"allow": true, "reasons": null}

obligations_not_object := {"allow": true, "obligations": ["log"]}

# A function with conflicting outputs for the same input.
f(x) := 1 if x > 0

f(x) := 2 if x > 1

fn_conflict := {"allow": f(input.n) == 1}

# An object with conflicting values for one key.
pairs[k] := 1 if k := input.a

pairs[k] := 2 if k := input.b

key_conflict := {"allow": true, "pairs": pairs}

# A complete rule with two different values.
complete_conflict := true if input.a

complete_conflict := false if input.b

# A built-in error, an error under strict-builtin-errors.
builtin_error := {"allow": to_number(input.word) == 1}

# Takes far longer than any test deadline unless evaluation is canceled.
slow if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i + j < 0
}
