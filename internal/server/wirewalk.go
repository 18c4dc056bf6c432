package server

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pdp-project/pdp/internal/pdp"
)

// When gRPC cannot decode a request because a string is not valid UTF-8 or
// because it nests deeper than the decoder allows, the decoder's error does
// not say where. badField finds the field in the wire bytes, guided by the
// message's descriptor, and names it as Request.Validate would:
// "checks[3].subject.roles[1]", "resource.attributes.a.b[2]". It only runs
// on a request that failed to decode.

// maxMessageNesting bounds the walk through messages other than attribute
// values (those stop at pdp.MaxAttributeDepth).
const maxMessageNesting = 64

// The wire field numbers of google.protobuf.Struct, Value and ListValue.
const (
	structFields     protowire.Number = 1
	valueString      protowire.Number = 3
	valueStruct      protowire.Number = 5
	valueList        protowire.Number = 6
	listValues       protowire.Number = 1
	mapKey           protowire.Number = 1
	mapValue         protowire.Number = 2
	structpbFullName                  = "google.protobuf.Struct"
)

// wireProblem is a field and what is wrong with it.
type wireProblem struct{ field, reason string }

func (p *wireProblem) err() error { return pdp.InvalidField(p.field, p.reason) }

// badField returns the first field of the message md encoded in b whose
// string is not valid UTF-8 or whose attribute value nests too deeply; nil
// when it finds none.
func badField(b []byte, md protoreflect.MessageDescriptor) *wireProblem {
	return walkMessage(b, md, "", 0)
}

// eachField calls f with every length-delimited field of b and how many of
// that number came before it; it stops at the first problem or at bytes it
// cannot parse.
func eachField(b []byte, f func(num protowire.Number, index int, v []byte) *wireProblem) *wireProblem {
	seen := map[protowire.Number]int{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return nil
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil
		}
		b = b[n:]
		if p := f(num, seen[num], v); p != nil {
			return p
		}
		seen[num]++
	}
	return nil
}

func walkMessage(b []byte, md protoreflect.MessageDescriptor, path string, nesting int) *wireProblem {
	if md.FullName() == structpbFullName {
		return walkStruct(b, path, 1)
	}
	if nesting > maxMessageNesting {
		return &wireProblem{orRequest(path), "nests too deeply"}
	}
	return eachField(b, func(num protowire.Number, index int, v []byte) *wireProblem {
		fd := md.Fields().ByNumber(num)
		if fd == nil {
			return nil
		}
		name := join(path, string(fd.Name()))
		if fd.IsList() {
			name = fmt.Sprintf("%s[%d]", name, index)
		}
		return walkField(v, fd, name, nesting)
	})
}

func walkField(v []byte, fd protoreflect.FieldDescriptor, name string, nesting int) *wireProblem {
	switch {
	case fd.IsMap():
		return walkMapEntry(v, fd, name, nesting)
	case fd.Kind() == protoreflect.StringKind:
		return invalidString(v, name)
	case fd.Kind() == protoreflect.MessageKind:
		return walkMessage(v, fd.Message(), name, nesting+1)
	}
	return nil
}

// walkMapEntry checks one entry of a map field, named name.key.
func walkMapEntry(entry []byte, fd protoreflect.FieldDescriptor, name string, nesting int) *wireProblem {
	key, val := mapEntry(entry)
	if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.Valid(key) {
		return &wireProblem{name, "has a key that is not valid UTF-8"}
	}
	if fd.MapKey().Kind() == protoreflect.StringKind {
		name += "." + string(key)
	}
	if val == nil {
		return nil
	}
	return walkField(val, fd.MapValue(), name, nesting)
}

// mapEntry splits a map entry into its key and value bytes (nil when absent
// or not length-delimited).
func mapEntry(entry []byte) (key, val []byte) {
	eachField(entry, func(num protowire.Number, _ int, v []byte) *wireProblem {
		switch num {
		case mapKey:
			key = v
		case mapValue:
			val = v
		}
		return nil
	})
	return key, val
}

// walkStruct checks a google.protobuf.Struct at depth (Request.Validate's
// count: an attributes object is 1, its values 2).
func walkStruct(b []byte, path string, depth int) *wireProblem {
	if depth > pdp.MaxAttributeDepth {
		return tooDeep(path)
	}
	return eachField(b, func(num protowire.Number, _ int, entry []byte) *wireProblem {
		if num != structFields {
			return nil
		}
		key, val := mapEntry(entry)
		if !utf8.Valid(key) {
			return &wireProblem{path, "has a key that is not valid UTF-8"}
		}
		return walkValue(val, path+"."+string(key), depth+1)
	})
}

func walkValue(b []byte, path string, depth int) *wireProblem {
	if depth > pdp.MaxAttributeDepth {
		return tooDeep(path)
	}
	return eachField(b, func(num protowire.Number, _ int, v []byte) *wireProblem {
		switch num {
		case valueString:
			return invalidString(v, path)
		case valueStruct:
			return walkStruct(v, path, depth)
		case valueList:
			return eachField(v, func(num protowire.Number, i int, e []byte) *wireProblem {
				if num != listValues {
					return nil
				}
				return walkValue(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
			})
		}
		return nil
	})
}

func invalidString(v []byte, name string) *wireProblem {
	if utf8.Valid(v) {
		return nil
	}
	return &wireProblem{name, "is not valid UTF-8"}
}

func tooDeep(path string) *wireProblem {
	return &wireProblem{path, fmt.Sprintf("nests deeper than %d levels", pdp.MaxAttributeDepth)}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orRequest(path string) string {
	if path == "" {
		return "request"
	}
	return path
}
