package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
)

// KeygenOptions are the inputs of `nplus1 keygen`.
type KeygenOptions struct {
	IO   IOStreams
	Rand io.Reader // nil: crypto/rand

	Out   string
	Force bool
}

// NewCmdKeygen builds `nplus1 keygen`. runF replaces runKeygen in tests.
func NewCmdKeygen(f *Factory, runF func(context.Context, *KeygenOptions) error) *cobra.Command {
	opts := &KeygenOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an ed25519 key pair for signing cards",
		Long: `Make an ed25519 key pair for signing result cards.

The private key (base64 of its 64 bytes) goes to --out, readable by you
only (0600); the public key (base64, 32 bytes) to --out with .pub added, and
to standard output. Grades sign their card when NPLUS1_SIGNING_KEY holds the
private key or the path of its file; 'nplus1 verify CARD --key PUB' checks a
card against the public key.`,
		Example: `  # Make nplus1.key and nplus1.key.pub, then sign grades with it
  nplus1 keygen
  NPLUS1_SIGNING_KEY=nplus1.key nplus1 grade ./solution
  nplus1 verify nplus1-results/orders-users/solution/result.json --key nplus1.key.pub

  # In CI, store the private key's content as a secret
  nplus1 keygen -o ci.key && cat ci.key`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runKeygen(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", "nplus1.key", "private key file; the public key goes to the same name with .pub")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing key files")
	return cmd
}

func runKeygen(_ context.Context, opts *KeygenOptions) error {
	if st, err := os.Stat(opts.Out); err == nil && st.IsDir() {
		return usageError("-o %s is a directory: name the key file, such as %s", opts.Out, filepath.Join(opts.Out, "nplus1.key"))
	}
	pubPath := opts.Out + ".pub"
	if !opts.Force {
		for _, p := range []string{opts.Out, pubPath} {
			if _, err := os.Stat(p); err == nil {
				return usageError("%s exists: keep it, or pass --force to replace it (cards signed with it will no longer verify with a new key)", p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return writeError(fmt.Errorf("keygen: %w", err))
			}
		}
	}
	pub, priv, err := reports.GenerateKey(opts.Rand)
	if err != nil {
		return err
	}
	if err := writeFileMode(opts.Out, []byte(reports.EncodePrivateKey(priv)+"\n"), 0o600); err != nil {
		return writeError(fmt.Errorf("keygen: %w", err))
	}
	pubText := reports.EncodePublicKey(pub)
	if err := writeFileMode(pubPath, []byte(pubText+"\n"), 0o644); err != nil {
		return writeError(fmt.Errorf("keygen: %w", err))
	}
	fmt.Fprintln(opts.IO.Out, pubText)
	fmt.Fprintf(opts.IO.ErrOut, "private key: %s (keep it secret; NPLUS1_SIGNING_KEY=%s signs grades)\npublic key:  %s (key id %s)\n",
		opts.Out, opts.Out, pubPath, reports.KeyID(pub))
	return nil
}

// writeFileMode writes b to path with exactly mode, also when the file
// exists with a wider one.
func writeFileMode(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
