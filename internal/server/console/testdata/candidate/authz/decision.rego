# A candidate for the console's tests: reading is allowed to everyone,
# nothing else to anyone, with a reason of its own.
package authz

decision := {"allow": input.action.name == "read", "reasons": ["candidate"]}
