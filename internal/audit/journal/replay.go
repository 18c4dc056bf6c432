package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
)

// Replay calls fn with every payload in the journal, oldest first; fn
// returns the payload's mark (see Append). A torn frame at the end of the
// last segment, left by a crash during a write, is cut off; damage
// anywhere else is an error wrapping ErrCorrupt. Appends go to a new
// segment after Replay.
func (j *Journal) Replay(fn func(payload []byte) (uint64, error)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := range j.segs {
		last := i == len(j.segs)-1
		if err := j.replaySegment(&j.segs[i], last, fn); err != nil {
			return err
		}
		j.size += j.segs[i].size
	}
	j.replayed = true
	return nil
}

func (j *Journal) replaySegment(s *segment, last bool, fn func([]byte) (uint64, error)) error {
	path := j.path(s.n)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read audit journal segment %q: %w", path, err)
	}
	good, err := Frames(data, func(p []byte) error {
		mark, err := fn(p)
		s.mark = max(s.mark, mark)
		return err
	})
	s.size = int64(good)
	switch {
	case errors.Is(err, ErrCorrupt) && last:
		return cutTail(path, good)
	case err != nil:
		return fmt.Errorf("audit journal segment %q: %w", path, err)
	}
	return nil
}

// cutTail truncates a segment to its last whole frame.
func cutTail(path string, size int) error {
	if err := os.Truncate(path, int64(size)); err != nil {
		return fmt.Errorf("cut torn tail of audit journal segment %q: %w", path, err)
	}
	return nil
}

// Frames calls fn with the payload of every whole frame in data and
// returns the length of the whole frames read; a frame cut short or
// failing its checksum ends the walk with an error wrapping ErrCorrupt.
func Frames(data []byte, fn func(payload []byte) error) (int, error) {
	off := 0
	for off < len(data) {
		p, err := frameAt(data[off:])
		if err != nil {
			return off, fmt.Errorf("%w: at offset %d: %v", ErrCorrupt, off, err)
		}
		if err := fn(p); err != nil {
			return off, err
		}
		off += headerSize + len(p)
	}
	return off, nil
}

func frameAt(data []byte) ([]byte, error) {
	if len(data) < headerSize {
		return nil, errors.New("frame header cut short")
	}
	n := binary.LittleEndian.Uint32(data)
	if n > MaxPayload || int(n) > len(data)-headerSize {
		return nil, errors.New("frame cut short")
	}
	p := data[headerSize : headerSize+int(n)]
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(data[4:]) {
		return nil, errors.New("frame checksum mismatch")
	}
	return p, nil
}

// ReadDir calls fn with every payload of the journal in dir without
// changing anything (for read-only readers of a trail); a torn tail of the
// last segment is skipped. A missing directory holds nothing.
func ReadDir(dir string, fn func(payload []byte) error) error {
	ns, err := segmentNumbers(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for i, n := range ns {
		j := &Journal{opts: Options{Dir: dir}}
		data, err := os.ReadFile(j.path(n))
		if err != nil {
			return fmt.Errorf("read audit journal segment: %w", err)
		}
		if _, err := Frames(data, fn); err != nil && !(errors.Is(err, ErrCorrupt) && i == len(ns)-1) {
			return err
		}
	}
	return nil
}
