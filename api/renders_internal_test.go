package api

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// One tenant's flood of page images takes its own slots, never another's.
func TestPageImagesAreBoundedPerTenant(t *testing.T) {
	slots := tenantSlots{held: map[string]int{}}
	for range rendersPerTenant {
		require.True(t, slots.acquire("flooding"))
	}
	require.False(t, slots.acquire("flooding"), "past its slots a tenant waits")
	require.True(t, slots.acquire("other"), "another tenant is drawn at once")
	slots.release("flooding")
	require.True(t, slots.acquire("flooding"), "a released slot is free again")
	for range rendersPerTenant {
		slots.release("flooding")
	}
	slots.release("other")
	require.Empty(t, slots.held, "no tenant is remembered once idle")
}
