package main

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// dial opens a plaintext connection to a PDP's gRPC port (--addr).
func dial(addr string) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, usagef("--addr %q: %v", addr, err)
	}
	return conn, nil
}

// callError turns a gRPC status into a command error; InvalidArgument is
// the user's mistake (exit 2).
func callError(what string, err error) error {
	st := status.Convert(err)
	err = fmt.Errorf("%s: %s: %s", what, st.Code(), st.Message())
	if st.Code() == codes.InvalidArgument {
		return usageError{err}
	}
	return err
}
