package decision

import "github.com/google/uuid"

// newUUIDv7 returns a time-ordered decision id.
func newUUIDv7() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", err
	}
	return id.String(), nil
}
