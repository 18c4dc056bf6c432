package authoring

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// duplicateKey finds the first key that appears twice in one mapping of a
// decision case, as it is written in the file: its field under path and the
// line of the repetition. (A case is decoded from a copy of its node, whose
// own error would give lines of the copy.)
func duplicateKey(node *yaml.Node, path string) (line int, err error) {
	switch node.Kind {
	case yaml.MappingNode:
		return duplicateInMapping(node, path)
	case yaml.SequenceNode:
		for i, item := range node.Content {
			if line, err := duplicateKey(item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return line, err
			}
		}
	}
	return 0, nil
}

func duplicateInMapping(node *yaml.Node, path string) (int, error) {
	first := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], node.Content[i+1]
		field := k.Value
		if path != "" {
			field = path + "." + k.Value
		}
		if line, dup := first[k.Value]; dup {
			return k.Line, fmt.Errorf("%s: appears more than once in its mapping (first at line %d)", field, line)
		}
		first[k.Value] = k.Line
		if line, err := duplicateKey(v, field); err != nil {
			return line, err
		}
	}
	return 0, nil
}
