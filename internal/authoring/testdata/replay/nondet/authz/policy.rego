package authz

decision := {"allow": time.now_ns() > 0, "reasons": ["clock"]}
