package pdp

// MaskOp is one instruction of the data.system.log.mask rule, as OPA users
// write it: a JSON pointer to erase ("remove"), or an "upsert" that sets
// Path to Value. Paths always start with /input.
type MaskOp struct {
	Op    string // "remove" or "upsert"
	Path  string
	Value any
}

// Mask operations.
const (
	MaskRemove = "remove"
	MaskUpsert = "upsert"
)
