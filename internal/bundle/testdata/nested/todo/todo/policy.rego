package todo

allow := true
