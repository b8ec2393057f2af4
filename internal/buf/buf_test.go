package buf

import "testing"

func TestGetPutSizes(t *testing.T) {
	tests := []struct {
		name      string
		size, cap int
	}{
		{"tiny", 1, 512}, {"exact class", 1024, 1024}, {"above class", 1025, 2048},
		{"large", 1 << 20, 1 << 20}, {"over the pooled range", 1<<24 + 1, 1<<24 + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := Get(tc.size)
			if len(b) != tc.size || cap(b) != tc.cap {
				t.Fatalf("Get(%d): len %d cap %d, want cap %d", tc.size, len(b), cap(b), tc.cap)
			}
			Put(b)
		})
	}
}

func TestNoAllocsSteadyState(t *testing.T) {
	Put(Get(4096))
	allocs := testing.AllocsPerRun(1000, func() { Put(Get(4096)) })
	if allocs != 0 {
		t.Errorf("Get+Put allocates %.1f times", allocs)
	}
}
