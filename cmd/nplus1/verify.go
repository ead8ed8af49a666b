package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/nplus1/nplus1/reports"
	"github.com/spf13/cobra"
)

// VerifyOptions are the inputs of `nplus1 verify`.
type VerifyOptions struct {
	IO IOStreams

	Card string
	Key  string
}

// NewCmdVerify builds `nplus1 verify`. runF replaces runVerify in tests.
func NewCmdVerify(f *Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "verify CARD --key PUB",
		Short: "Check that a signed card is unchanged since it was graded",
		Long: `Check a signed result card (result.json, or a directory holding one) against
a public key: the ed25519 signature must hold over the card's canonical
encoding, and the file must be byte for byte as nplus1 wrote it.

Exit codes: 0 the card verifies; 1 it does not (edited, unsigned, or signed
by another key: the message says which field differs when it can); 2 usage.`,
		Example: `  nplus1 verify nplus1-results/orders-users/solution/result.json --key nplus1.key.pub
  nplus1 verify nplus1-results/orders-users/solution --key "$(cat nplus1.key.pub)"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("verify takes one card (a result.json or its directory), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Card = args[0]
			if opts.Key == "" {
				return usageError("verify needs --key: the public key (base64, or a file such as nplus1.key.pub)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Key, "key", "", "public key: base64, or a file holding it")
	return cmd
}

func runVerify(_ context.Context, opts *VerifyOptions) error {
	pub, err := reports.LoadPublicKey(opts.Key)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	path := opts.Card
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "result.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("verify: %w", err)}
	}
	v, err := reports.Verify(data, pub)
	var ve *reports.VerifyError
	if errors.As(err, &ve) {
		fmt.Fprintf(opts.IO.Out, "NOT VERIFIED  %s\n  %s\n", path, ve.Reason)
		for _, f := range ve.Fields {
			fmt.Fprintf(opts.IO.Out, "  - %s\n", f)
		}
		return &exitError{code: exitFail}
	}
	if err != nil {
		return err
	}
	c := v.Card
	fmt.Fprintf(opts.IO.Out, "VERIFIED  %s\n  signed by key %s: %s %s, graded %s by %s %s\n  solution %s, challenge %s, seed %d\n",
		path, v.KeyID, c.Challenge.ID, c.Verdict, c.GradedAt.UTC().Format("2006-01-02 15:04 UTC"), c.Tool.Name, c.Tool.Version,
		c.Solution.Digest, c.Challenge.Digest, c.Environment.Seed)
	sb := c.Environment.Sandbox
	if sb == "" {
		sb = "not recorded (a card from before sandboxes)"
	}
	fmt.Fprintf(opts.IO.Out, "  sandbox: %s\n", reports.SandboxText(sb))
	return nil
}
