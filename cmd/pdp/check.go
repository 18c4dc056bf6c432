package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	pdpv1 "github.com/pdp-project/pdp/api/pdp/v1"
	"github.com/pdp-project/pdp/internal/strictjson"
)

// maxStdin bounds what check reads: a little over the server's limit, so the
// server is the one that names an oversized request.
const maxStdin = 2 << 20

func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("check", e)
	addr := fs.String("addr", "127.0.0.1:7070", "gRPC `address` of the PDP")
	timeout := fs.Duration("timeout", 10*time.Second, "deadline of the call")
	var ct clientTLS
	ct.define(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("check: unexpected argument %q (the request is read from stdin)", fs.Arg(0))
	}
	req, err := readCheckRequest(e.stdin)
	if err != nil {
		return err
	}
	resp, err := callCheck(ctx, &ct, *addr, *timeout, req)
	if err != nil {
		return err
	}
	return printJSON(e.stdout, resp)
}

func readCheckRequest(r io.Reader) (*pdpv1.CheckRequest, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStdin))
	if err != nil {
		return nil, fmt.Errorf("read request: %w", err)
	}
	if err := strictjson.Check(data); err != nil {
		return nil, usagef("request on stdin: %v", err)
	}
	req := &pdpv1.CheckRequest{}
	if err := protojson.Unmarshal(data, req); err != nil {
		return nil, usagef("request on stdin is not a CheckRequest in JSON: %v", err)
	}
	return req, nil
}

func callCheck(ctx context.Context, ct *clientTLS, addr string, timeout time.Duration, req *pdpv1.CheckRequest) (*pdpv1.CheckResponse, error) {
	conn, err := ct.dial(addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := pdpv1.NewAuthorizationServiceClient(conn).Check(ctx, req)
	if err != nil {
		return nil, callError("check", err)
	}
	return resp, nil
}

func printJSON(w io.Writer, resp *pdpv1.CheckResponse) error {
	out, err := protojson.MarshalOptions{EmitUnpopulated: true, UseProtoNames: true}.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(out))
	return err
}
