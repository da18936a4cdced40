package routing_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/signflow/signflow/internal/routing"
	"github.com/signflow/signflow/models"
)

func TestDue(t *testing.T) {
	t.Parallel()
	parties := func(statuses ...string) []routing.Party {
		return []routing.Party{
			{ID: "a", Role: models.RoleSigner, Order: 1, Status: statuses[0]},
			{ID: "b", Role: models.RoleApprover, Order: 1, Status: statuses[1]},
			{ID: "c", Role: models.RoleSigner, Order: 2, Status: statuses[2]},
			{ID: "cc", Role: models.RoleCC, Order: 1, Status: models.RecipientWaiting},
		}
	}
	waiting, signed, approved := models.RecipientWaiting, models.RecipientSigned, models.RecipientApproved
	for _, tc := range []struct {
		name     string
		status   string
		parties  []routing.Party
		id       string
		roles    []string
		index    int
		refusal  string
		everyone bool
	}{
		{name: "first order signs", parties: parties(waiting, waiting, waiting), id: "a", roles: []string{models.RoleSigner}, index: 0},
		{name: "same order in parallel", parties: parties(waiting, waiting, waiting), id: "b", roles: []string{models.RoleApprover}, index: 1},
		{name: "later order waits", parties: parties(signed, waiting, waiting), id: "c", roles: []string{models.RoleSigner},
			refusal: "recipient c is not due yet: routing order 2 acts after order 1"},
		{name: "later order once the first is done", parties: parties(signed, approved, waiting), id: "c", roles: []string{models.RoleSigner}, index: 2},
		{name: "acts once", parties: parties(signed, waiting, waiting), id: "a", roles: []string{models.RoleSigner}, refusal: "recipient a has already signed"},
		{name: "wrong role", parties: parties(waiting, waiting, waiting), id: "b", roles: []string{models.RoleSigner},
			refusal: "recipient b is a approver and cannot do this"},
		{name: "a copy never acts", parties: parties(waiting, waiting, waiting), id: "cc", roles: []string{models.RoleSigner, models.RoleApprover},
			refusal: "recipient cc is a cc and cannot do this"},
		{name: "stranger", parties: parties(waiting, waiting, waiting), id: "x", roles: []string{models.RoleSigner}, refusal: "recipient x is not on this envelope"},
		{name: "closed", status: models.EnvelopeVoided, parties: parties(waiting, waiting, waiting), id: "a", roles: []string{models.RoleSigner},
			refusal: "the envelope is voided and accepts no more actions"},
		{name: "everyone acted", parties: parties(signed, approved, signed), id: "a", roles: []string{models.RoleSigner},
			refusal: "recipient a has already signed", everyone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := tc.status
			if status == "" {
				status = models.EnvelopeInProgress
			}
			i, err := routing.Due(status, tc.parties, tc.id, tc.roles...)
			if tc.refusal != "" {
				var notDue *routing.NotDue
				require.ErrorAs(t, err, &notDue)
				require.Equal(t, tc.refusal, notDue.Reason)
				require.Equal(t, strings.Contains(tc.refusal, "not due yet"), notDue.Later)
			} else {
				require.NoError(t, err)
				require.Equal(t, tc.index, i)
			}
			require.Equal(t, tc.everyone, routing.EveryoneActed(tc.parties))
		})
	}
}

func TestCurrentOrderAndPending(t *testing.T) {
	t.Parallel()
	parties := []routing.Party{
		{ID: "cc", Role: models.RoleCC, Order: 1, Status: models.RecipientWaiting},
		{ID: "a", Role: models.RoleSigner, Order: 3, Status: models.RecipientNotified},
		{ID: "b", Role: models.RoleSigner, Order: 2, Status: models.RecipientDeclined},
		{ID: "c", Role: models.RoleApprover, Order: 3, Status: models.RecipientViewed},
	}
	require.Equal(t, 3, routing.CurrentOrder(parties), "copies and those who acted hold nobody up")
	require.Equal(t, []int{1, 3}, routing.Pending(parties, 3))
	parties[1].Status, parties[3].Status = models.RecipientSigned, models.RecipientApproved
	require.Equal(t, 0, routing.CurrentOrder(parties))
	require.Empty(t, routing.Pending(parties, 3))
}

func TestWaitingFor(t *testing.T) {
	t.Parallel()
	parties := []routing.Party{
		{ID: "a", Role: models.RoleSigner, Order: 1, Status: models.RecipientSigned},
		{ID: "b", Role: models.RoleApprover, Order: 1, Status: models.RecipientViewed},
		{ID: "cc", Role: models.RoleCC, Order: 1, Status: models.RecipientWaiting},
		{ID: "c", Role: models.RoleSigner, Order: 2, Status: models.RecipientNotified},
		{ID: "d", Role: models.RoleSigner, Order: 3, Status: models.RecipientWaiting},
	}
	for _, tc := range []struct {
		id   string
		want []int
	}{
		{"b", nil},         // due now
		{"c", []int{1}},    // waits for b; a has signed, the copy holds no one up
		{"d", []int{1, 3}}, // every earlier order still to act
		{"a", nil},         // has acted
		{"cc", nil},        // never acts
		{"x", nil},         // not on the envelope
	} {
		require.Equal(t, tc.want, routing.WaitingFor(parties, tc.id), tc.id)
	}
}
