package postgres

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/nplus1/nplus1/internal/leaktest"
)

// A grader killed with SIGKILL (and no Ryuk) leaves its container; the
// next docker start on the machine removes it, and only it.
func TestDockerOrphanRemoved(t *testing.T) {
	if leaktest.IsStandIn() {
		// The stand-in grader: start a container, say its id, wait to be killed.
		inst, err := NewDocker(DockerOptions{Image: os.Getenv("NPLUS1_TEST_IMAGE")}).Start(context.Background())
		if err != nil {
			fmt.Println("error", err)
			return
		}
		fmt.Println("id", inst.(*dockerInstance).id)
		time.Sleep(time.Minute)
		return
	}
	cli, image := needDocker(t)
	id := leaktest.KillStandIn(t, "TestDockerOrphanRemoved", "id ", "NPLUS1_TEST_IMAGE="+image, "NPLUS1_TEST_CACHE="+testCache)
	orphan := func() int {
		list, err := cli.ContainerList(context.Background(), client.ContainerListOptions{
			All: true, Filters: make(client.Filters).Add("label", labelID+"="+id),
		})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	if orphan() != 1 {
		t.Fatal("the killed grader's container is not there: nothing to test")
	}
	inst, err := NewDocker(DockerOptions{Image: image}).Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n := orphan(); n != 0 {
		t.Errorf("the next start left the killed grader's container")
	}
	if len(ourContainers(t, cli)) != 1 {
		t.Errorf("the next start removed its own container: %v", ourContainers(t, cli))
	}
	if err := inst.Terminate(t.Context()); err != nil {
		t.Fatal(err)
	}
	noContainersLeft(t, cli)
}
