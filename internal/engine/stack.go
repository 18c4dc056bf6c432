package engine

// stackFrame is the frame growStack puts on the stack: with what the caller
// already uses, the runtime grows the stack to 128 KiB, which covers the
// topdown recursion of the example bundle (BenchmarkEvaluateExampleFreshGoroutine).
const stackFrame = 64 << 10

// growStack grows the calling goroutine's stack before evaluation, while it
// is shallow. Topdown recurses deeply; on a new goroutine, or one whose stack
// the garbage collector shrank while it idled, the stack would otherwise
// double several times during one evaluation, and every doubling copies the
// stack and adjusts each frame of the recursion. The runtime sizes a new
// stack to fit the frame that overflowed, so one large frame costs a single
// copy of a few frames; on a stack already large enough it costs nothing.
// Only the frame matters: callers pass false, and its contents stay untouched.
//
//go:noinline
func growStack(touch bool) byte {
	if touch {
		var frame [stackFrame]byte
		for i := range frame {
			frame[i] = byte(i)
		}
		return frame[len(frame)/2]
	}
	return 0
}
