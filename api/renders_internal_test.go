package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// One tenant's flood of page images takes its own slots, never another
// tenant's, and is refused past them.
func TestPageImagesAreBoundedPerTenant(t *testing.T) {
	var slots tenantSlots
	for range rendersPerTenant {
		require.True(t, slots.acquire("flooding"))
	}
	require.False(t, slots.acquire("flooding"), "past its slots a tenant is refused")
	require.True(t, slots.acquire("other"), "another tenant is drawn at once")
	slots.release("flooding")
	require.True(t, slots.acquire("flooding"), "a released slot is free again")
	for range rendersPerTenant {
		slots.release("flooding")
	}
	slots.release("other")
	require.Empty(t, slots.held, "no tenant is remembered once idle")
}
