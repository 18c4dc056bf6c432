package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// slots is the number of hash slots of a Redis Cluster.
const slots = 16384

// Cluster is a Redis Cluster of masters without replicas, each owning an
// equal share of the slots. Its nodes do not require full coverage: when
// one is down the others keep serving their slots, as a cache wants.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts masters redis-server processes in cluster mode,
// gives each a contiguous share of the slots, joins them, and waits until
// every node reports the cluster ok.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 1 {
		t.Fatalf("StartCluster: %d masters", masters)
	}
	c := &Cluster{}
	for range masters {
		c.Nodes = append(c.Nodes, startWith(t, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
			"--cluster-require-full-coverage", "no"))
	}
	if err := c.form(); err != nil {
		t.Fatalf("form the cluster: %v", err)
	}
	return c
}

// Addrs are the nodes' host:port.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// URL is redis://node1?addr=node2&addr=..., the form of --redis-url that
// --redis-cluster reads.
func (c *Cluster) URL() string {
	var q []string
	for _, a := range c.Addrs()[1:] {
		q = append(q, "addr="+a)
	}
	u := "redis://" + c.Nodes[0].Addr()
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	return u
}

// KeysPerNode is DBSIZE of every node in order; -1 for a node that does
// not answer (killed).
func (c *Cluster) KeysPerNode(t testing.TB) []int64 {
	t.Helper()
	sizes := make([]int64, len(c.Nodes))
	for i, n := range c.Nodes {
		n, err := withClient(n.Addr(), func(ctx context.Context, cl *goredis.Client) (int64, error) {
			return cl.DBSize(ctx).Result()
		})
		if err != nil {
			n = -1
		}
		sizes[i] = n
	}
	return sizes
}

func (c *Cluster) form() error {
	per := slots / len(c.Nodes)
	for i, n := range c.Nodes {
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.Nodes)-1 {
			hi = slots - 1
		}
		if err := addSlots(n.Addr(), lo, hi); err != nil {
			return err
		}
	}
	for _, n := range c.Nodes[1:] {
		if err := meet(c.Nodes[0].Addr(), n.port); err != nil {
			return err
		}
	}
	for _, n := range c.Nodes {
		if err := waitConverged(n.Addr(), len(c.Nodes), 20*time.Second); err != nil {
			return err
		}
	}
	return nil
}

func addSlots(addr string, lo, hi int) error {
	args := []any{"cluster", "addslots"}
	for s := lo; s <= hi; s++ {
		args = append(args, s)
	}
	_, err := withClient(addr, func(ctx context.Context, cl *goredis.Client) (any, error) {
		return cl.Do(ctx, args...).Result()
	})
	if err != nil {
		return fmt.Errorf("CLUSTER ADDSLOTS %d..%d on %s: %w", lo, hi, addr, err)
	}
	return nil
}

func meet(addr string, port int) error {
	_, err := withClient(addr, func(ctx context.Context, cl *goredis.Client) (string, error) {
		return cl.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(port)).Result()
	})
	if err != nil {
		return fmt.Errorf("CLUSTER MEET %d from %s: %w", port, addr, err)
	}
	return nil
}

// waitConverged waits until the node at addr knows every node of the
// cluster, sees every slot assigned, and counts every master as serving.
// "cluster_state:ok" alone is not enough: without full coverage required a
// node reports ok as soon as it serves its own slots, before gossip has told
// it who serves the others, and a client that loads its slot map from it
// then sends keys to the wrong masters.
func waitConverged(addr string, masters int, limit time.Duration) error {
	want := []string{"cluster_state:ok", "cluster_slots_assigned:" + strconv.Itoa(slots),
		"cluster_known_nodes:" + strconv.Itoa(masters), "cluster_size:" + strconv.Itoa(masters)}
	deadline := time.Now().Add(limit)
	for {
		info, err := withClient(addr, func(ctx context.Context, cl *goredis.Client) (string, error) {
			return cl.ClusterInfo(ctx).Result()
		})
		if err == nil && holdsLines(info, want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s has not converged after %v (want %v): %v %q", addr, limit, want, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holdsLines reports whether every one of want is a line of info.
func holdsLines(info string, want []string) bool {
	lines := strings.Split(strings.ReplaceAll(info, "\r", ""), "\n")
	for _, w := range want {
		if !slices.Contains(lines, w) {
			return false
		}
	}
	return true
}

// withClient runs f with a short-lived client of the one node at addr.
func withClient[T any](addr string, f func(context.Context, *goredis.Client) (T, error)) (T, error) {
	cl := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f(ctx, cl)
}

// AwaitDialProbes waits, when the test ends, for go-redis' dial probes to
// stop. After many refused dials to one address (a killed node) a client
// probes it once a second until the address answers or the client closes,
// so the last probe ends up to a second after Close. Call it before opening
// the clients (cleanups run last-in first-out), so that a goroutine leak
// check sees none.
func AwaitDialProbes(t testing.TB) {
	t.Cleanup(func() { time.Sleep(1100 * time.Millisecond) })
}

// StartSentinel starts a sentinel (redis-server --sentinel) watching the
// master under name, with a quorum of 1.
func StartSentinel(t testing.TB, master *Server, name string) *Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(master.Addr())
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 1000\n",
		name, host, port, name)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatalf("sentinel config: %v", err)
	}
	return startWith(t, conf, "--sentinel")
}
