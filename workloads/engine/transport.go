package engine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/sparkbench/sparkbench/host"
	"github.com/sparkbench/sparkbench/store"

	"github.com/sparkbench/sparkbench/workloads"
)

// mixedTransport sends a pull to its origin over loopback HTTP when the
// origin node is configured with transport: http, else in process.
type mixedTransport struct {
	http    *host.HTTPTransport
	inproc  *host.InProcessTransport
	viaHTTP map[string]bool
}

func (t *mixedTransport) Pull(ctx context.Context, origin, site string, keys []string) ([]store.Entry, error) {
	if t.viaHTTP[origin] {
		return t.http.Pull(ctx, origin, site, keys)
	}
	return t.inproc.Pull(ctx, origin, site, keys)
}

// startPullServers serves each http-transport node's pulls on a loopback
// port and returns the transport and a function that stops the servers.
func startPullServers(nodes []host.Node, specs []workloads.NodeSpec) (host.Transport, func(), error) {
	endpoints := map[string]string{}
	viaHTTP := map[string]bool{}
	var servers []*http.Server
	stop := func() {
		for _, s := range servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.Shutdown(ctx)
			cancel()
		}
	}
	for i, ns := range specs {
		if ns.Transport != workloads.TransportHTTP {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("node %s: pull server: %w", ns.ID, err)
		}
		srv := &http.Server{Handler: host.PullHandler(nodes[i]), ReadHeaderTimeout: 5 * time.Second}
		servers = append(servers, srv)
		go srv.Serve(ln)
		endpoints[ns.ID] = "http://" + ln.Addr().String()
		viaHTTP[ns.ID] = true
	}
	if len(servers) == 0 {
		return nil, func() {}, nil
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	return &mixedTransport{
		http:    host.NewHTTPTransport(endpoints, client),
		inproc:  host.NewInProcessTransport(nodes),
		viaHTTP: viaHTTP,
	}, stop, nil
}
