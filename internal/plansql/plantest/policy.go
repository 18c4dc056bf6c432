package plantest

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
)

// Generated policies: package gen, entrypoint gen/decision, built from
// grants, denials, helper rules and a level rule with a default over the
// attributes a, b and c of GenPools. Most conditions are ones a plan
// translates; a few (Refusable) are not, and a plan that meets one must be
// refused.

// GenEntrypoint is the entrypoint of every generated policy.
const GenEntrypoint = "gen/decision"

// GenPools are the attributes generated policies read, mixed types.
func GenPools() Pools {
	return Pools{
		"a": {"x", "y", "", "10", 1.0, 2.0, true, false},
		"b": {0.0, 1.0, 2.0, 3.0, 1.5, -1.0, "1", "z", true},
		"c": {true, false, "true", 0.0, 1.0, ""},
	}
}

var genAttrs = []string{"a", "b", "c"}

// policyGen draws one module.
type policyGen struct {
	rng     *rand.Rand
	pools   Pools
	helpers int
	vars    int
	refuse  bool // may draw conditions a plan refuses
}

// GenPolicy draws a module of package gen; with refusable set it may hold
// conditions a plan cannot express.
func GenPolicy(rng *rand.Rand, refusable bool) string {
	g := &policyGen{rng: rng, pools: GenPools(), refuse: refusable}
	var b strings.Builder
	b.WriteString("package gen\n\n")
	g.levelRules(&b)
	for i := 0; i < 1+rng.Intn(3); i++ {
		fmt.Fprintf(&b, "h%d if {\n%s}\n\n", i, g.body(1+rng.Intn(3)))
		if rng.Intn(2) == 0 {
			fmt.Fprintf(&b, "h%d if {\n%s}\n\n", i, g.body(1+rng.Intn(2)))
		}
		g.helpers++
	}
	for i := 0; i < 1+rng.Intn(3); i++ {
		fmt.Fprintf(&b, "grants contains \"g%d\" if {\n%s}\n\n", i, g.body(1+rng.Intn(3)))
	}
	b.WriteString("denials contains \"never\" if input.action.name == \"never\"\n\n")
	for i := 0; i < rng.Intn(3); i++ {
		fmt.Fprintf(&b, "denials contains \"d%d\" if {\n%s}\n\n", i, g.body(1+rng.Intn(2)))
	}
	b.WriteString(g.decision())
	return b.String()
}

// levelRules writes lvl, a number with a default, from attribute b, and
// tier, a string without one; their definitions give one value, are
// exclusive, or (rarely) may conflict.
func (g *policyGen) levelRules(b *strings.Builder) {
	b.WriteString("default lvl := 0\n\n")
	b.WriteString("lvl := input.resource.attributes.b if is_number(input.resource.attributes.b)\n\n")
	b.WriteString("tier := \"hi\" if input.resource.attributes.b > 1\n\n")
	switch g.rng.Intn(3) {
	case 0:
		b.WriteString("tier := \"hi\" if input.resource.attributes.a == \"x\"\n\n") // same value: no conflict
	case 1:
		b.WriteString("tier := \"lo\" if not input.resource.attributes.b > 1\n\n") // exclusive
	default:
		if g.refuse {
			b.WriteString("tier := \"lo\" if input.resource.attributes.a == \"y\"\n\n") // may conflict
		}
	}
	switch g.rng.Intn(4) {
	case 0:
		b.WriteString("lvl := 9 if {\n\tnot is_number(input.resource.attributes.b)\n\tinput.resource.attributes.b\n}\n\n")
	case 1:
		if g.refuse {
			b.WriteString("lvl := 5 if input.resource.attributes.a == \"x\"\n\n") // may conflict
		}
	}
}

func (g *policyGen) decision() string {
	switch g.rng.Intn(3) {
	case 0:
		return "default decision := false\n\ndecision if {\n\tcount(grants) > 0\n\tcount(denials) == 0\n}\n"
	case 1:
		admin := ""
		if g.rng.Intn(2) == 0 {
			admin = "\ndecision if \"admin\" in input.subject.roles\n" // allowed whatever the resource
		}
		return "decision if {\n" + g.body(1+g.rng.Intn(2)) + "}\n\ndecision if {\n\tcount(grants) > 0\n\tnot h0\n}\n" + admin
	}
	return `default decision := {"allow": false, "reasons": ["none"]}

decision := {"allow": true, "reasons": sort(grants)} if {
	count(grants) > 0
	count(denials) == 0
}

decision := {"allow": false, "reasons": sort(denials)} if count(denials) > 0
`
}

func (g *policyGen) body(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("\t" + g.cond() + "\n")
	}
	return b.String()
}

func (g *policyGen) attr() string { return "input.resource.attributes." + pick(g.rng, genAttrs) }

func (g *policyGen) lit(attr string) string {
	name := attr[strings.LastIndexByte(attr, '.')+1:]
	return jsonLit(pick(g.rng, g.pools[name]))
}

func jsonLit(v any) string {
	b, _ := json.Marshal(v)
	if b[0] == '-' {
		return "(" + string(b) + ")" // not a subtraction from the line above
	}
	return string(b)
}

var genOps = []string{"==", "!=", "<", "<=", ">", ">="}

// cond draws one expression.
func (g *policyGen) cond() string {
	if g.refuse && g.rng.Intn(25) == 0 {
		return pick(g.rng, Refusable)
	}
	x := g.attr()
	switch g.rng.Intn(16) {
	case 0, 1:
		return fmt.Sprintf("%s %s %s", x, pick(g.rng, genOps), g.lit(x))
	case 2:
		return fmt.Sprintf("%s %s %s", g.lit(x), pick(g.rng, genOps), x)
	case 3:
		return fmt.Sprintf("%s in [%s, %s]", x, g.lit(x), g.lit(x))
	case 4:
		return fmt.Sprintf("not %s == %s", x, g.lit(x))
	case 5:
		return pick(g.rng, []string{"not " + x, x})
	case 6:
		return fmt.Sprintf("%sis_%s(%s)", pick(g.rng, []string{"", "not "}), pick(g.rng, []string{"number", "string", "boolean"}), x)
	case 7:
		return pick(g.rng, []string{`input.resource.id == "r3"`, `input.resource.id in {"r1", "r2", "r40"}`, `input.resource.id != "r5"`, `input.resource.id > "r5"`})
	case 8:
		return fmt.Sprintf("%s == input.subject.attributes.sa", x)
	case 9:
		return pick(g.rng, []string{`input.action.name == "read"`, `"admin" in input.subject.roles`, `input.subject.attributes.sa == "x"`})
	case 10:
		return g.helperRef()
	case 11:
		return fmt.Sprintf("lvl %s %d", pick(g.rng, genOps), g.rng.Intn(4))
	case 12:
		g.vars++
		return fmt.Sprintf("v%[1]d := %[2]s\n\tv%[1]d %[3]s %[4]s", g.vars, x, pick(g.rng, genOps), g.lit(x))
	case 13:
		return fmt.Sprintf("not %s %s %s", x, pick(g.rng, []string{"!=", "<", ">="}), g.lit(x))
	case 14:
		return fmt.Sprintf("%s in {%s}", x, g.lit(x))
	}
	if g.rng.Intn(2) == 0 {
		return fmt.Sprintf("tier %s %q", pick(g.rng, []string{"==", "!="}), pick(g.rng, []string{"hi", "lo"}))
	}
	return fmt.Sprintf("%s != null", x)
}

func (g *policyGen) helperRef() string {
	if g.helpers == 0 {
		return "true"
	}
	return fmt.Sprintf("%sh%d", pick(g.rng, []string{"", "not "}), g.rng.Intn(g.helpers))
}

// Refusable are conditions a plan cannot express exactly.
var Refusable = []string{
	`startswith(input.resource.attributes.a, "x")`,
	`input.resource.attributes.a == input.resource.attributes.b`,
	`input.resource.attributes.a[_] == 1`,
	`count(input.resource.attributes.a) > 1`,
	`object.get(input.resource.attributes, "a", 0) == 1`,
}

// GenRequest draws a request (without resource id and attributes) for the
// generated policies.
func GenRequest(rng *rand.Rand) (map[string]any, string) {
	attrs := map[string]any{}
	if rng.Intn(4) > 0 {
		attrs["sa"] = pick(rng, GenPools()["a"])
	}
	return map[string]any{
		"subject":     map[string]any{"type": "user", "id": "u", "roles": toAny(subset(rng, []string{"admin", "user"}, 2)), "attributes": attrs},
		"action":      map[string]any{"name": pick(rng, []string{"read", "write"}), "attributes": map[string]any{}},
		"environment": map[string]any{"time": "2026-03-02T10:00:00Z"},
		"caller":      map[string]any{},
	}, "thing"
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
