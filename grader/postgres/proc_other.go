//go:build !unix

package postgres

import "syscall"

// procAttr returns nil: process groups and credentials are Unix features.
func procAttr(*runAs) *syscall.SysProcAttr { return nil }
