// Package journal is the durability point of the audit trail: an
// append-only log of segment files in one directory, each a run of framed,
// checksummed payloads. A group commit becomes one write (and, when asked,
// one fdatasync); consumers (the trail's indexer, a shipper) read the
// payloads from memory and, after a crash, from Replay. Segments whose
// payloads every consumer holds are removed with Release, so the journal
// stays as small as the work still to do.
//
// A frame is a 4-byte little-endian payload length, the CRC-32C of the
// payload (4 bytes, little-endian), then the payload. A crash can tear only
// the last frame of the last segment (a write that never returned, so
// nothing it held was acknowledged); Replay cuts it off.
package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// DefaultSegmentSize is the size past which a segment is closed and the
// next one started.
const DefaultSegmentSize = 16 << 20

// MaxPayload bounds one payload (a record with a huge input is refused
// rather than written).
const MaxPayload = 64 << 20

const headerSize = 8

const segmentExt = ".seg"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by Replay when a frame other than the last of the
// last segment fails its checksum or length.
var ErrCorrupt = errors.New("audit journal corrupt")

// Options configure Open.
type Options struct {
	// Dir holds the segments; it is created 0o700.
	Dir string
	// Sync makes every Append end with fdatasync (durable across power
	// loss); without it an Append is durable across process crashes.
	Sync bool
	// SegmentSize overrides DefaultSegmentSize.
	SegmentSize int64
}

// Journal appends to the newest segment. It is safe for concurrent use.
type Journal struct {
	opts Options

	mu       sync.Mutex
	segs     []segment // oldest first; the last is active
	f        *os.File  // the active segment, open for appending
	size     int64     // bytes in all segments
	replayed bool
	buf      []byte
}

// segment is one file and the highest mark appended to it.
type segment struct {
	n    uint64
	mark uint64
	size int64
}

// Open opens the journal in opts.Dir, creating the directory. Call Replay
// before the first Append.
func Open(opts Options) (*Journal, error) {
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create audit journal %q: %w", opts.Dir, err)
	}
	ns, err := segmentNumbers(opts.Dir)
	if err != nil {
		return nil, err
	}
	j := &Journal{opts: opts}
	for _, n := range ns {
		j.segs = append(j.segs, segment{n: n})
	}
	return j, nil
}

// segmentNumbers lists the segments of dir in order.
func segmentNumbers(dir string) ([]uint64, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read audit journal %q: %w", dir, err)
	}
	var ns []uint64
	for _, e := range names {
		base, ok := strings.CutSuffix(e.Name(), segmentExt)
		if n, err := strconv.ParseUint(base, 16, 64); ok && err == nil {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns, nil
}

func (j *Journal) path(n uint64) string {
	return filepath.Join(j.opts.Dir, fmt.Sprintf("%016x%s", n, segmentExt))
}

// Size is the number of bytes the journal holds on disk.
func (j *Journal) Size() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.size
}

// Append writes payloads as frames at the end of the active segment in one
// write, tagged with mark (for Release: a segment goes once every mark in
// it is released). On error nothing of the call stays in the journal.
func (j *Journal) Append(mark uint64, payloads ...[]byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.replayed {
		return errors.New("audit journal: append before replay")
	}
	if err := j.rotateIfFull(); err != nil {
		return err
	}
	j.buf = j.buf[:0]
	for _, p := range payloads {
		if len(p) > MaxPayload {
			return fmt.Errorf("audit journal: payload of %d bytes exceeds %d", len(p), MaxPayload)
		}
		j.buf = appendFrame(j.buf, p)
	}
	return j.write(mark)
}

func appendFrame(buf, p []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(p)))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(p, castagnoli))
	return append(buf, p...)
}

// write appends j.buf to the active segment; a failed or short write is
// cut off again so that the next frame starts where this one would have.
func (j *Journal) write(mark uint64) error {
	active := &j.segs[len(j.segs)-1]
	_, err := j.f.Write(j.buf)
	if err == nil && j.opts.Sync {
		err = syscall.Fdatasync(int(j.f.Fd()))
	}
	if err != nil {
		return j.undo(active, err)
	}
	active.size += int64(len(j.buf))
	active.mark = max(active.mark, mark)
	j.size += int64(len(j.buf))
	return nil
}

// undo truncates the active segment back to its last whole frame after a
// failed write; if even that fails the segment is closed, and the next
// Append starts a new one.
func (j *Journal) undo(active *segment, cause error) error {
	err := j.f.Truncate(active.size)
	if err == nil {
		_, err = j.f.Seek(active.size, 0)
	}
	if err != nil {
		_ = j.f.Close()
		j.f = nil
	}
	if len(j.buf) > 0 && cap(j.buf) > 1<<20 {
		j.buf = nil
	}
	return fmt.Errorf("append to audit journal: %w", cause)
}

// rotateIfFull starts a new segment when there is none open or the active
// one has reached the segment size.
func (j *Journal) rotateIfFull() error {
	if j.f != nil && j.segs[len(j.segs)-1].size < j.opts.SegmentSize {
		return nil
	}
	var next uint64
	if len(j.segs) > 0 {
		next = j.segs[len(j.segs)-1].n + 1
	}
	f, err := os.OpenFile(j.path(next), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("start audit journal segment: %w", err)
	}
	if j.opts.Sync {
		if err := syncDir(j.opts.Dir); err != nil {
			return errors.Join(err, f.Close(), os.Remove(f.Name()))
		}
	}
	if j.f != nil {
		_ = j.f.Close()
	}
	j.f = f
	j.segs = append(j.segs, segment{n: next})
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// Release removes the segments whose marks are all at or below upTo, the
// active one included (the next Append starts a new segment).
func (j *Journal) Release(upTo uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.replayed {
		return nil
	}
	var errs []error
	kept := j.segs[:0]
	for i, s := range j.segs {
		if s.mark > upTo {
			kept = append(kept, j.segs[i:]...)
			break
		}
		errs = append(errs, j.remove(s, i == len(j.segs)-1))
	}
	j.segs = kept
	return errors.Join(errs...)
}

func (j *Journal) remove(s segment, active bool) error {
	if active && j.f != nil {
		_ = j.f.Close()
		j.f = nil
	}
	j.size -= s.size
	if err := os.Remove(j.path(s.n)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove audit journal segment: %w", err)
	}
	return nil
}

// Close closes the active segment.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
