package server

import (
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// gRPC turns every decode failure into codes.Internal, with the decoder's
// text, before any handler or interceptor runs. Bytes that do not decode
// are bad input, not a bug: the codec decodes the request as empty and
// marks it with the problem; the interceptors then answer InvalidArgument
// (wireError), which is a caller's mistake for the metrics and the log. A
// string that is not valid UTF-8, or values nested deeper than the decoder
// allows, is named by its field (wirewalk.go); any other failure (a
// truncated message, a length past the end, random bytes) is a "malformed
// request".

// badMarker is a field number no message of ours uses; its bytes are the
// field and the reason, separated by a NUL.
const badMarker protowire.Number = 536870911

type codec struct{ base encoding.CodecV2 }

func newCodec() encoding.CodecV2 { return codec{base: encoding.GetCodecV2("proto")} }

func (c codec) Name() string { return "proto" }

func (c codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return err
	}
	p := wireProblemOf(err, data, m)
	proto.Reset(m)
	var raw []byte
	raw = protowire.AppendTag(raw, badMarker, protowire.BytesType)
	raw = protowire.AppendString(raw, p.field+"\x00"+p.reason)
	m.ProtoReflect().SetUnknown(raw)
	return nil
}

// wireProblemOf says what is wrong with the bytes in data that failed to
// decode into m with err. The problem of a malformed message has no field:
// its text is the whole message.
func wireProblemOf(err error, data mem.BufferSlice, m proto.Message) *wireProblem {
	reason := badInputReason(err)
	if reason == "" {
		return &wireProblem{"", malformedRequest}
	}
	if p := badField(data.Materialize(), m.ProtoReflect().Descriptor()); p != nil {
		return p
	}
	return &wireProblem{"request", reason}
}

// malformedRequest is the answer to bytes that do not decode as the
// method's request message. The decoder's own text stays out of it.
const malformedRequest = "malformed request"

// badInputReason says what is wrong with the input when err is a failure
// the field can be found for; "" for any other error.
func badInputReason(err error) string {
	switch msg := err.Error(); {
	case strings.Contains(msg, "UTF-8"):
		return "contains a string that is not valid UTF-8"
	case strings.Contains(msg, "recursion depth"):
		return "nests too deeply"
	}
	return ""
}

// wireError is the InvalidArgument error of a request the codec marked;
// nil for any other.
func wireError(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	raw := m.ProtoReflect().GetUnknown()
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return nil
		}
		if num == badMarker && typ == protowire.BytesType {
			v, _ := protowire.ConsumeString(raw[n:])
			field, reason, _ := strings.Cut(v, "\x00")
			return (&wireProblem{field, reason}).err()
		}
		size := protowire.ConsumeFieldValue(num, typ, raw[n:])
		if size < 0 {
			return nil
		}
		raw = raw[n+size:]
	}
	return nil
}

// wireStream answers InvalidArgument for a streamed message the codec
// marked, as errorsUnary does for a unary request.
func wireStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return h(srv, &checkedStream{ServerStream: ss, log: log, method: info.FullMethod})
	}
}

type checkedStream struct {
	grpc.ServerStream
	log    *slog.Logger
	method string
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if err := wireError(m); err != nil {
		return toStatus(withTraceID(s.Context(), s.log), s.method, err)
	}
	return nil
}
