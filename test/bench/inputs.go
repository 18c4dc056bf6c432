package main

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
)

// input is one authorization question in both wire forms: the CheckRequest
// sent to the PDP and the body of OPA's POST /v1/data/<entrypoint>. Both
// carry the same input document, caller included, so both servers
// evaluate the same input.
type input struct {
	check *pdpv1.CheckRequest
	body  []byte
}

// The catalog the mix draws from: the roles, resource types, actions,
// times and networks of the example bundle (bundles/example), so that
// requests take every branch of the policy: grants, denials, obligations.
var (
	roleSets    = [][]string{{"viewer"}, {"editor"}, {"manager"}, {"auditor"}, {"admin"}, {"editor", "auditor"}, {"intern"}, {}}
	departments = []string{"eng", "sales", "ops", "legal"}
	resTypes    = []string{"document", "document", "document", "report"}
	actions     = []string{"read", "read", "read", "write", "share", "delete", "export"}
	times       = []string{"2026-03-02T10:00:00Z", "2026-03-03T14:30:00Z", "2026-03-07T23:00:00Z", "2026-03-04T07:15:00Z"}
	ips         = []string{"10.0.0.5", "10.1.2.3", "192.168.10.7", "203.0.113.9"}
)

// mix yields the n-th request of a run: a share repeat of them come from a
// hot set of hot inputs (built once), the rest are new inputs never sent
// before in the run (a new subject id each time).
type mix struct {
	hotSet []*input
	repeat float64
}

func newMix(hot int, repeat float64) (*mix, error) {
	if hot < 1 || repeat < 0 || repeat > 1 {
		return nil, fmt.Errorf("need -hot >= 1 and 0 <= -repeat <= 1, got %d and %g", hot, repeat)
	}
	m := &mix{hotSet: make([]*input, hot), repeat: repeat}
	for i := range m.hotSet {
		in, err := buildInput(uint64(i))
		if err != nil {
			return nil, err
		}
		m.hotSet[i] = in
	}
	return m, nil
}

// next returns the request for sequence number seq; the choice between the
// hot set and a new input is a hash of seq, so it is fixed for a seq.
func (m *mix) next(seq uint64) (*input, error) {
	h := splitmix64(seq)
	if float64(h>>11)/float64(1<<53) < m.repeat {
		return m.hotSet[h%uint64(len(m.hotSet))], nil
	}
	return buildInput(uint64(len(m.hotSet)) + seq)
}

// splitmix64 is a fast, well-mixed hash of a counter.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// doc builds the input document of request n: subject n, one of its
// colleagues' resources, an action, a time and a network picked by n.
func doc(n uint64) map[string]any {
	h := splitmix64(n ^ 0x5bd1e995)
	pick := func(k uint64) uint64 { return (h >> (k * 5)) & 31 }
	owner := fmt.Sprintf("u%d", n)
	if pick(0)%3 != 0 {
		owner = fmt.Sprintf("u%d", n/7)
	}
	return map[string]any{
		"subject": map[string]any{"type": "user", "id": fmt.Sprintf("u%d", n),
			"roles":      strs(roleSets[pick(1)%uint64(len(roleSets))]),
			"attributes": map[string]any{"department": departments[pick(2)%4], "clearance": float64(pick(3) % 4)}},
		"resource": map[string]any{"type": resTypes[pick(4)%4], "id": fmt.Sprintf("r%d", n%100003),
			"attributes": map[string]any{"owner": owner, "department": departments[pick(5)%4], "sensitivity": float64(pick(6) % 4)}},
		"action":      map[string]any{"name": actions[pick(7)%uint64(len(actions))], "attributes": map[string]any{}},
		"environment": map[string]any{"time": times[pick(8)%4], "ip": ips[pick(9)%4]},
		"caller":      map[string]any{"id": "local"},
	}
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func buildInput(n uint64) (*input, error) {
	d := doc(n)
	body, err := json.Marshal(map[string]any{"input": d})
	if err != nil {
		return nil, fmt.Errorf("encode OPA body: %w", err)
	}
	check, err := checkRequest(d)
	if err != nil {
		return nil, err
	}
	return &input{check: check, body: body}, nil
}

// checkRequest is the CheckRequest whose input document is d (the PDP
// fills caller itself).
func checkRequest(d map[string]any) (*pdpv1.CheckRequest, error) {
	sub, res, act := d["subject"].(map[string]any), d["resource"].(map[string]any), d["action"].(map[string]any)
	structs := make([]*structpb.Struct, 4)
	for i, m := range []any{sub["attributes"], res["attributes"], act["attributes"], d["environment"]} {
		s, err := structpb.NewStruct(m.(map[string]any))
		if err != nil {
			return nil, fmt.Errorf("encode CheckRequest: %w", err)
		}
		structs[i] = s
	}
	roles := make([]string, 0, 2)
	for _, r := range sub["roles"].([]any) {
		roles = append(roles, r.(string))
	}
	return &pdpv1.CheckRequest{
		Subject:     &pdpv1.Subject{Type: sub["type"].(string), Id: sub["id"].(string), Roles: roles, Attributes: structs[0]},
		Resource:    &pdpv1.Resource{Type: res["type"].(string), Id: res["id"].(string), Attributes: structs[1]},
		Action:      &pdpv1.Action{Name: act["name"].(string), Attributes: structs[2]},
		Environment: structs[3],
	}, nil
}
