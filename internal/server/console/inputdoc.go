package console

import (
	"encoding/json"
	"html/template"
	"slices"
	"strconv"
	"strings"
)

// inputDoc renders a recorded input as indented JSON in HTML, each value
// that masking replaced wrapped in <mark class="masked">, so that a reader
// sees which parts of the record are not what the policy saw.
func inputDoc(input map[string]any, masked []string) template.HTML {
	set := make(map[string]bool, len(masked))
	for _, m := range masked {
		set[m] = true
	}
	var b strings.Builder
	writeValue(&b, input, "/input", set, "")
	return template.HTML(b.String()) // every piece of text is escaped in writeValue
}

func writeValue(b *strings.Builder, v any, ptr string, masked map[string]bool, indent string) {
	if masked[ptr] {
		b.WriteString(`<mark class="masked" title="masked before it was recorded: ` + template.HTMLEscapeString(ptr) + `">`)
		defer b.WriteString(`</mark>`)
	}
	switch x := v.(type) {
	case map[string]any:
		writeObject(b, x, ptr, masked, indent)
	case []any:
		writeArray(b, x, ptr, masked, indent)
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			raw = []byte(`"?"`)
		}
		b.WriteString(template.HTMLEscapeString(string(raw)))
	}
}

func writeObject(b *strings.Builder, m map[string]any, ptr string, masked map[string]bool, indent string) {
	if len(m) == 0 {
		b.WriteString("{}")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteString("{\n")
	for i, k := range keys {
		name, _ := json.Marshal(k)
		b.WriteString(indent + "  " + template.HTMLEscapeString(string(name)) + ": ")
		writeValue(b, m[k], ptr+"/"+pointerToken(k), masked, indent+"  ")
		if i < len(keys)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(indent + "}")
}

func writeArray(b *strings.Builder, xs []any, ptr string, masked map[string]bool, indent string) {
	if len(xs) == 0 {
		b.WriteString("[]")
		return
	}
	b.WriteString("[\n")
	for i, x := range xs {
		b.WriteString(indent + "  ")
		writeValue(b, x, ptr+"/"+strconv.Itoa(i), masked, indent+"  ")
		if i < len(xs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(indent + "]")
}

// pointerToken escapes an object key for a JSON pointer (RFC 6901).
func pointerToken(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
