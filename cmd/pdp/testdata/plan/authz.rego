# A policy for pdp plan's tests: admins may read every document, others
# the documents they own; names are matched by a pattern, which a resource
# plan cannot express.
package authz

default allow := false

allow if "admin" in input.subject.roles

allow if input.resource.attributes.owner == input.subject.id

default named := false

named if regex.match("^report-", input.resource.attributes.name)
