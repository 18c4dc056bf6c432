package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/audit/sqlite"
	"github.com/pdp-project/pdp/internal/server"
	"github.com/pdp-project/pdp/internal/server/extauthz"
)

// rawCodec sends []byte as the message and reads the answer's bytes, so
// that a test can put on the wire what no proto.Marshal would produce.
type rawCodec struct{}

func (rawCodec) Name() string                  { return "proto" }
func (rawCodec) Marshal(v any) ([]byte, error) { return v.([]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = bytes.Clone(data)
	return nil
}

// malformedBodies are requests that do not decode as any message.
var malformedBodies = map[string][]byte{
	"length prefix of 2^32-1":   {0x0a, 0xff, 0xff, 0xff, 0xff},
	"length past the end":       {0x0a, 0x05, 0x12},
	"random bytes":              {0x9f, 0x3c, 0xe1, 0x07, 0xff, 0x42, 0x88, 0x0b},
	"truncated varint":          {0x08, 0x80},
	"group end without a start": {0x0c},
}

// rawServer serves every service of the gRPC port (authorization, audit,
// health, reflection, ext_authz) over bufconn, logging into logs, and
// returns a client connection to it.
func rawServer(t *testing.T, logs *syncBuffer) *grpc.ClientConn {
	t.Helper()
	store, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "audit.db")})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g := server.NewGRPC(server.GRPCOptions{Authorizer: auditorsOnly{allowAll: true}, Logger: log,
		Outer: []grpc.UnaryServerInterceptor{extauthz.FailClosed(log)}})
	server.RegisterAudit(g.Server, server.AuditOptions{Trail: trail{store}, Poll: 10 * time.Millisecond})
	extauthz.New(nil, log).Register(g.Server)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = g.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet", grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		g.Stop()
		store.Close()
	})
	return conn
}

// TestMalformedRequestsAreInvalidArgument: bytes that do not decode are the
// caller's mistake on every method, unary or streamed: InvalidArgument
// "malformed request", never Internal with the decoder's text, and no log
// line (a misbehaving client cannot flood the log).
func TestMalformedRequestsAreInvalidArgument(t *testing.T) {
	noLeaks(t)
	var logs syncBuffer
	conn := rawServer(t, &logs)
	unary := []string{
		pdpv1.AuthorizationService_Check_FullMethodName,
		pdpv1.AuthorizationService_CheckBatch_FullMethodName,
		pdpv1.AuthorizationService_PlanResources_FullMethodName,
		pdpv1.AuditService_QueryDecisions_FullMethodName,
		pdpv1.AuditService_GetDecision_FullMethodName,
		pdpv1.AuditService_VerifyTrail_FullMethodName,
		"/grpc.health.v1.Health/Check",
	}
	streams := []string{
		pdpv1.AuditService_TailDecisions_FullMethodName,
		"/grpc.health.v1.Health/Watch",
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
		"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
	}
	for body, wire := range malformedBodies {
		for _, method := range unary {
			t.Run(body+method, func(t *testing.T) {
				var out []byte
				err := conn.Invoke(ctx(t), method, wire, &out, grpc.ForceCodec(rawCodec{}))
				assertMalformed(t, err)
			})
		}
		for _, method := range streams {
			t.Run(body+method, func(t *testing.T) {
				assertMalformed(t, streamOnce(t, conn, method, wire))
			})
		}
	}
	if out := logs.String(); out != "" {
		t.Errorf("malformed requests logged:\n%s", out)
	}
}

// TestMalformedExtAuthzIsADenial: ext_authz never answers an error (Envoy
// may let a request through on one): a malformed request is a denial whose
// status is INVALID_ARGUMENT "malformed request", not logged.
func TestMalformedExtAuthzIsADenial(t *testing.T) {
	var logs syncBuffer
	conn := rawServer(t, &logs)
	for body, wire := range malformedBodies {
		t.Run(body, func(t *testing.T) {
			var out []byte
			err := conn.Invoke(ctx(t), authv3.Authorization_Check_FullMethodName, wire, &out, grpc.ForceCodec(rawCodec{}))
			if err != nil {
				t.Fatalf("Invoke: %v, want a denial", err)
			}
			var resp authv3.CheckResponse
			if err := proto.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			if c := codes.Code(resp.GetStatus().GetCode()); c != codes.InvalidArgument || resp.GetStatus().GetMessage() != "malformed request" {
				t.Errorf("status = %v %q, want InvalidArgument \"malformed request\"", c, resp.GetStatus().GetMessage())
			}
			if resp.GetDeniedResponse() == nil {
				t.Errorf("response %v is not a denial", &resp)
			}
		})
	}
	if out := logs.String(); out != "" {
		t.Errorf("malformed requests logged:\n%s", out)
	}
}

// syncBuffer is a log destination that the server's goroutines share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// streamOnce sends wire on a new stream of method and returns the error
// that ends the stream.
func streamOnce(t *testing.T, conn *grpc.ClientConn, method string, wire []byte) error {
	t.Helper()
	desc := &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}
	s, err := conn.NewStream(ctx(t), desc, method, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return err
	}
	if err := s.SendMsg(wire); err != nil {
		return err
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	var out []byte
	for {
		if err := s.RecvMsg(&out); err != nil {
			return err
		}
	}
}

func assertMalformed(t *testing.T, err error) {
	t.Helper()
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || st.Message() != "malformed request" {
		t.Errorf("status = %v %q, want InvalidArgument \"malformed request\"", st.Code(), st.Message())
	}
}
