package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pdp-project/pdp/internal/bundle"
)

// runBundle dispatches `pdp bundle build|sign|inspect`.
func runBundle(ctx context.Context, e env, args []string) error {
	subs := map[string]func(context.Context, env, []string) error{
		"build": runBundleBuild, "sign": runBundleSign, "inspect": runBundleInspect,
	}
	return dispatch(ctx, e, "bundle", []string{"build", "sign", "inspect"}, subs, args)
}

// signingFlags are the flags of build and sign.
type signingFlags struct{ key, alg, keyID string }

func (s *signingFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&s.key, "signing-key", "", "`file`: PEM private key (or HMAC secret) signing the bundle")
	fs.StringVar(&s.alg, "signing-alg", "RS256", "signature `algorithm`")
	fs.StringVar(&s.keyID, "signing-key-id", bundle.DefaultKeyID, "key `id` written into the signature")
}

func (s *signingFlags) signing() bundle.Signing {
	return bundle.Signing{KeyFile: s.key, Alg: s.alg, KeyID: s.keyID}
}

// parseWithArg parses flags placed before or after the one positional
// argument (`build DIR -o FILE` and `build -o FILE DIR` both work).
func parseWithArg(fs *flag.FlagSet, args []string, what string) (string, error) {
	pos, err := parseInterleaved(fs, args)
	switch {
	case err != nil:
		return "", err
	case len(pos) == 0:
		return "", usagef("%s: want %s", fs.Name(), what)
	case len(pos) > 1:
		return "", usagef("%s: unexpected argument %q", fs.Name(), pos[1])
	}
	return pos[0], nil
}

func mustExist(flagName, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return usagef("%s %q: %v", flagName, path, err)
	}
	return nil
}

// writeAtomically writes what fill produces to path through a temporary
// file in the same directory, so a failed build leaves no partial bundle.
func writeAtomically(path string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pdp-bundle-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = fill(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func runBundleBuild(ctx context.Context, e env, args []string) error {
	fs := newFlagSet("bundle build", e)
	out := fs.String("o", "", "output `file` (.tar.gz)")
	revision := fs.String("revision", "", "`revision` written into the manifest (default: the manifest's)")
	var s signingFlags
	s.define(fs)
	dir, err := parseWithArg(fs, args, "a policy directory: pdp bundle build DIR -o FILE")
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("bundle build: -o FILE is required")
	}
	if err := checkBuildInputs(dir, s.key); err != nil {
		return err
	}
	opts := bundle.BuildOptions{Dir: dir, Revision: *revision, Signing: s.signing()}
	if err := writeAtomically(*out, func(w io.Writer) error { return bundle.Build(ctx, opts, w) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	return nil
}

func checkBuildInputs(dir, key string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return usagef("bundle build: %v", err)
	}
	if !info.IsDir() {
		return usagef("bundle build: %q is not a directory", dir)
	}
	return mustExist("--signing-key", key)
}

func runBundleSign(_ context.Context, e env, args []string) error {
	fs := newFlagSet("bundle sign", e)
	out := fs.String("o", "", "output `file` (default: overwrite the input tarball)")
	var s signingFlags
	s.define(fs)
	in, err := parseWithArg(fs, args, "a bundle: pdp bundle sign FILE --signing-key PEM [-o OUT]")
	if err != nil {
		return err
	}
	if s.key == "" {
		return usagef("bundle sign: --signing-key is required")
	}
	if err := firstErr(mustExist("bundle", in), mustExist("--signing-key", s.key)); err != nil {
		return err
	}
	dst, err := signOutput(in, *out)
	if err != nil {
		return err
	}
	if err := writeAtomically(dst, func(w io.Writer) error { return bundle.Sign(in, s.signing(), w) }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", dst)
	return nil
}

func signOutput(in, out string) (string, error) {
	if out != "" {
		return out, nil
	}
	if info, err := os.Stat(in); err == nil && info.IsDir() {
		return "", usagef("bundle sign: -o FILE is required to sign a directory")
	}
	return in, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
