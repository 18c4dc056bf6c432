package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pdp-project/pdp/internal/bundle"
)

// runBundleInspect prints a bundle's revision, roots, files and signature
// status. An invalid signature is a failure (exit 1).
func runBundleInspect(_ context.Context, e env, args []string) error {
	fs := newFlagSet("bundle inspect", e)
	var key bundle.Key
	fs.StringVar(&key.File, "verification-key", "", "`file`: PEM public key (or HMAC secret) to check the signature with")
	fs.StringVar(&key.ID, "verification-key-id", bundle.DefaultKeyID, "key `id` of the verification key")
	fs.StringVar(&key.Alg, "verification-alg", "RS256", "signature `algorithm` of the verification key")
	format := fs.String("format", "table", "output `format`: table or json")
	path, err := parseWithArg(fs, args, "a bundle: pdp bundle inspect FILE")
	if err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return usagef("bundle inspect: --format must be table or json")
	}
	if err := firstErr(mustExist("bundle", path), mustExist("--verification-key", key.File)); err != nil {
		return err
	}
	info, err := bundle.Inspect(path, key)
	if err != nil {
		return err
	}
	if err := printInfo(e.stdout, info, *format); err != nil {
		return err
	}
	if info.Signature == bundle.SignatureInvalid {
		return fmt.Errorf("bundle %s: invalid signature: %s", path, info.SignatureError)
	}
	return nil
}

func printInfo(w io.Writer, info bundle.Info, format string) error {
	if format == "json" {
		out, err := json.Marshal(info)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(out))
		return err
	}
	fmt.Fprintf(w, "revision:  %s\nroots:     %s\nsignature: %s\n", info.Revision, strings.Join(info.Roots, ", "), info.Signature)
	fmt.Fprintf(w, "files:\n")
	for _, f := range info.Files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	return nil
}
