// Package pdp holds the vocabulary of the Policy Decision Point: requests,
// decisions, audit records and coded errors. It imports only the standard
// library; every other package adapts it.
package pdp

import "time"

// DefaultEntrypoint is the data path evaluated when neither the bundle
// manifest nor the configuration names one.
const DefaultEntrypoint = "authz/decision"

// Subject is who asks to act.
type Subject struct {
	Type       string
	ID         string
	Roles      []string
	Attributes map[string]any
	// Token is a JWT whose verified claims become input.subject.claims.
	Token string
	// Claims are the verified claims of Token; nil when there is none.
	Claims map[string]any
}

// Resource is what the subject wants to act on.
type Resource struct {
	Type       string
	ID         string
	Attributes map[string]any
}

// Action is what the subject wants to do.
type Action struct {
	Name       string
	Attributes map[string]any
}

// Request is one authorization question.
type Request struct {
	Subject     Subject
	Resource    Resource
	Action      Action
	Environment map[string]any
	// Policy optionally names an entrypoint the bundle declares.
	Policy string
	// Explain asks for a human-readable explanation.
	Explain bool
	// Caller is the authenticated identity of the service that asked; empty
	// when unknown.
	Caller string
}

// Input builds the document Rego sees as input: subject, resource, action,
// environment and caller. Missing objects become empty objects and missing
// roles an empty array. now fills environment.time when the caller did not
// send it.
func (r Request) Input(now time.Time) map[string]any {
	subject := map[string]any{
		"type":       r.Subject.Type,
		"id":         r.Subject.ID,
		"roles":      stringsToAny(r.Subject.Roles),
		"attributes": orEmpty(r.Subject.Attributes),
	}
	if r.Subject.Claims != nil {
		subject["claims"] = r.Subject.Claims
	}
	return map[string]any{
		"subject":     subject,
		"resource":    map[string]any{"type": r.Resource.Type, "id": r.Resource.ID, "attributes": orEmpty(r.Resource.Attributes)},
		"action":      map[string]any{"name": r.Action.Name, "attributes": orEmpty(r.Action.Attributes)},
		"environment": environment(r.Environment, now),
		"caller":      caller(r.Caller),
	}
}

// environment is env with time filled in. An env that has its time already
// is used as it is, as the attribute objects are: the input shares the
// request's maps and nothing writes to either.
func environment(env map[string]any, now time.Time) map[string]any {
	if _, ok := env["time"]; ok {
		return env
	}
	out := make(map[string]any, len(env)+1)
	for k, v := range env {
		out[k] = v
	}
	if _, ok := out["time"]; !ok {
		out["time"] = now.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	return out
}

func caller(id string) map[string]any {
	if id == "" {
		return map[string]any{}
	}
	return map[string]any{"id": id}
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
