package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/haixi-hrss/fundledger/api/auth"
)

// holdsRole checks that actor holds an active token in roleName in the
// tokens file at path: the command line's stand-in for the API's bearer
// token, so a command run from a shell records only an actor and role the
// ledger's own register of principals confirms. act names what the
// command does, for the error ("the batch", "publishing policy").
func holdsRole(path, actor, roleName, act string) error {
	entries, err := auth.List(path)
	if err != nil {
		return err
	}
	var held []string
	for _, e := range entries {
		if e.Principal != actor || e.Revoked != nil {
			continue
		}
		if e.Role == roleName {
			return nil
		}
		if !slices.Contains(held, e.Role) {
			held = append(held, e.Role)
		}
	}
	if len(held) == 0 {
		return fmt.Errorf("--actor %s has no active token in %s, so nothing confirms the role %s %s records; "+
			"create one with 'fundledger tokens create --principal %s --role %s'", actor, path, roleName, act, actor, roleName)
	}
	slices.Sort(held)
	return fmt.Errorf("--actor %s is not a %s in %s (active roles: %s); %s is a %s's act",
		actor, roleName, path, strings.Join(held, ", "), act, roleName)
}
