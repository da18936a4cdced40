// Package routing is the rule of who acts when on an envelope: signers and
// approvers act in routing order, those of one order in parallel, each
// once; carbon copies never hold anyone up. The envelope workflow decides
// by it, and the API checks by it before it writes anything an action
// brings with it, so the rule is written once.
package routing

import (
	"fmt"
	"slices"

	"github.com/signflow/signflow/models"
)

// Party is a recipient as the rule sees them.
type Party struct {
	ID     string
	Role   string
	Order  int
	Status string
}

// Parties are the recipients of a stored envelope.
func Parties(recipients []models.Recipient) []Party {
	out := make([]Party, len(recipients))
	for i, r := range recipients {
		out[i] = Party{ID: r.ID, Role: r.Role, Order: r.RoutingOrder, Status: r.Status}
	}
	return out
}

// HasActed says a recipient in status has signed, approved or declined:
// their part is over.
func HasActed(status string) bool {
	return status == models.RecipientSigned || status == models.RecipientApproved || status == models.RecipientDeclined
}

// CurrentOrder is the lowest routing order with a signer or approver who
// has not acted, or 0 when everyone has.
func CurrentOrder(parties []Party) int {
	current := 0
	for _, p := range parties {
		if p.Role != models.RoleCC && !HasActed(p.Status) && (current == 0 || p.Order < current) {
			current = p.Order
		}
	}
	return current
}

// Pending are the indexes of the signers and approvers of order who still
// have to act.
func Pending(parties []Party, order int) []int {
	var idx []int
	for i, p := range parties {
		if p.Role != models.RoleCC && p.Order == order && !HasActed(p.Status) {
			idx = append(idx, i)
		}
	}
	return idx
}

// EveryoneActed says every signer and approver has signed or approved:
// the envelope is completing.
func EveryoneActed(parties []Party) bool {
	for _, p := range parties {
		if p.Role != models.RoleCC && p.Status != models.RecipientSigned && p.Status != models.RecipientApproved {
			return false
		}
	}
	return true
}

// NotDue is why a recipient may not act now, said for the person who asked.
// Later: only because an earlier routing order has not finished, which a
// view of the envelope older than its latest change may still believe.
type NotDue struct {
	Reason string
	Later  bool
}

func (n *NotDue) Error() string { return n.Reason }

// Due finds the index of recipient id, who may act now in one of roles
// on an envelope in status, or says why not.
func Due(status string, parties []Party, id string, roles ...string) (int, error) {
	if models.IsTerminal(status) {
		return 0, notDue("the envelope is %s and accepts no more actions", status)
	}
	for i, p := range parties {
		if p.ID != id {
			continue
		}
		if !slices.Contains(roles, p.Role) {
			return 0, notDue("recipient %s is a %s and cannot do this", p.ID, p.Role)
		}
		if HasActed(p.Status) {
			return 0, notDue("recipient %s has already %s", p.ID, p.Status)
		}
		if current := CurrentOrder(parties); p.Order != current {
			err := notDue("recipient %s is not due yet: routing order %d acts after order %d", p.ID, p.Order, current)
			err.(*NotDue).Later = true
			return 0, err
		}
		return i, nil
	}
	return 0, notDue("recipient %s is not on this envelope", id)
}

func notDue(format string, args ...any) error { return &NotDue{Reason: fmt.Sprintf(format, args...)} }

// WaitingFor are the indexes of the signers and approvers who must act
// before recipient id's turn comes: those of earlier routing orders who
// have not acted. It is empty when id may act now or never will.
func WaitingFor(parties []Party, id string) []int {
	i := slices.IndexFunc(parties, func(p Party) bool { return p.ID == id })
	if i < 0 || HasActed(parties[i].Status) || parties[i].Role == models.RoleCC {
		return nil
	}
	var idx []int
	for j, p := range parties {
		if p.Role != models.RoleCC && p.Order < parties[i].Order && !HasActed(p.Status) {
			idx = append(idx, j)
		}
	}
	return idx
}
