package validate

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kustomize "sigs.k8s.io/kustomize/api/types"
)

const (
	kubernetesDir = "kubernetes"
	metricsPort   = "metrics"
)

// servePod is deploy/kubernetes decoded: the Deployment's pod and what it
// refers to.
type servePod struct {
	deploy    *appsv1.Deployment
	container corev1.Container
	configMap *corev1.ConfigMap
	secret    *corev1.Secret
	service   *corev1.Service
}

func loadServePod(t *testing.T) servePod {
	t.Helper()
	ms := loadManifests(t, kubernetesDir)
	p := servePod{
		deploy:    only[*appsv1.Deployment](t, ms),
		configMap: only[*corev1.ConfigMap](t, ms),
		secret:    only[*corev1.Secret](t, ms),
		service:   only[*corev1.Service](t, ms),
	}
	if n := len(p.deploy.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("the Deployment's pod has %d containers, want 1", n)
	}
	p.container = p.deploy.Spec.Template.Spec.Containers[0]
	return p
}

// hasPort reports whether the container has port p, by name or number.
func (p servePod) hasPort(port intstr.IntOrString) bool {
	for _, cp := range p.container.Ports {
		if port.Type == intstr.String && cp.Name == port.StrVal || port.Type == intstr.Int && cp.ContainerPort == port.IntVal {
			return true
		}
	}
	return false
}

// TestServeProbesAndPorts checks that the probes, the Service and the
// Prometheus annotations name ports the container has.
func TestServeProbesAndPorts(t *testing.T) {
	p := loadServePod(t)
	for name, probe := range map[string]*corev1.Probe{"liveness": p.container.LivenessProbe, "readiness": p.container.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			t.Errorf("no %s probe over HTTP", name)
			continue
		}
		if !p.hasPort(probe.HTTPGet.Port) {
			t.Errorf("%s probe on port %s, which the container does not have", name, probe.HTTPGet.Port.String())
		}
	}
	if len(p.service.Spec.Ports) == 0 {
		t.Error("the Service has no ports")
	}
	for _, sp := range p.service.Spec.Ports {
		if sp.TargetPort.Type != intstr.String || !p.hasPort(sp.TargetPort) {
			t.Errorf("Service port %s: targetPort %s is not a named port of the container", sp.Name, sp.TargetPort.String())
		}
	}
	labels := p.deploy.Spec.Template.Labels
	for k, v := range p.service.Spec.Selector {
		if labels[k] != v {
			t.Errorf("the Service selects %s=%s, which the pod is not labelled", k, v)
		}
	}
	for k, v := range p.deploy.Spec.Selector.MatchLabels {
		if labels[k] != v {
			t.Errorf("the Deployment selects %s=%s, which its pod is not labelled", k, v)
		}
	}
	ann := p.deploy.Spec.Template.Annotations
	port, _ := strconv.Atoi(ann["prometheus.io/port"])
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" || !p.hasPort(intstr.FromInt32(int32(port))) || !p.hasPort(intstr.FromString(metricsPort)) {
		t.Errorf("prometheus.io annotations %v: want scrape, /metrics and the port named %s", ann, metricsPort)
	}
}

// TestServeRunsLocked checks the pod runs as the image's non-root user,
// with nothing it does not need.
func TestServeRunsLocked(t *testing.T) {
	p := loadServePod(t)
	pod, c := p.deploy.Spec.Template.Spec, p.container
	psc, sc := pod.SecurityContext, c.SecurityContext
	if psc == nil || sc == nil {
		t.Fatal("no pod or container securityContext")
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		t.Error("pod does not set runAsNonRoot")
	}
	if want := imageUser(t); psc.RunAsUser == nil || *psc.RunAsUser != want {
		t.Errorf("pod's runAsUser is not the image's user %d", want)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("root filesystem is writable")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("privilege escalation is allowed")
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("capabilities are not all dropped")
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("no RuntimeDefault seccomp profile")
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("no memory limit")
	}
}

var dockerUser = regexp.MustCompile(`(?m)^USER (\d+)`)

// imageUser is the uid deploy/Dockerfile runs as.
func imageUser(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	m := dockerUser.FindSubmatch(data)
	if m == nil {
		t.Fatal("deploy/Dockerfile has no numeric USER")
	}
	uid, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return uid
}

// TestServeConfigAndSecrets checks the configuration reaches serve as a
// file it can watch, that every secret it reads is in the pod's
// environment from the Secret, that the Secret is also mounted, and that
// hookguard's own parser accepts the configuration with those values.
func TestServeConfigAndSecrets(t *testing.T) {
	p := loadServePod(t)
	env := containerEnv(t, p.container.Env, p.secret)
	cfgPath := env["HOOKGUARD_CONFIG"]
	mountedFrom := map[string]string{} // mount path -> volume name
	for _, m := range p.container.VolumeMounts {
		if m.SubPath != "" {
			t.Errorf("mount %s uses subPath: the kubelet never updates it, so serve would never reload", m.MountPath)
		}
		mountedFrom[m.MountPath] = m.Name
	}
	var configKey string
	var secretMounted bool
	for _, v := range p.deploy.Spec.Template.Spec.Volumes {
		switch {
		case v.ConfigMap != nil && v.ConfigMap.Name == p.configMap.Name && mountedFrom[path.Dir(cfgPath)] == v.Name:
			configKey = path.Base(cfgPath)
		case v.Secret != nil && v.Secret.SecretName == p.secret.Name && slices.Contains(slices.Collect(maps.Values(mountedFrom)), v.Name):
			secretMounted = true
			if m := v.Secret.DefaultMode; m == nil || *m&0o007 != 0 {
				t.Error("the Secret's files are readable by any user: set defaultMode (0440, with fsGroup)")
			}
		}
	}
	data, ok := p.configMap.Data[configKey]
	if !ok {
		t.Fatalf("HOOKGUARD_CONFIG=%q is not a key of ConfigMap %s mounted at its directory", cfgPath, p.configMap.Name)
	}
	if !secretMounted {
		t.Errorf("Secret %s is not mounted as files", p.secret.Name)
	}
	cfg := parseHookguardConfig(t, []byte(data), env)
	var schemes []string
	for _, rt := range cfg.Routes {
		schemes = append(schemes, rt.SchemeName)
	}
	if !slices.Contains(schemes, "stripe") || !slices.Contains(schemes, "github") {
		t.Errorf("routes' schemes %v: the example has a stripe and a github route", schemes)
	}
}

// TestKustomizationsListTheirFiles checks each kustomization lists every
// manifest beside it but the placeholder Secret, which must never be
// applied over the real one, and that the image it sets is the one the
// Deployment runs.
func TestKustomizationsListTheirFiles(t *testing.T) {
	for _, dir := range []string{kubernetesDir, envoyGatewayDir} {
		ms := loadManifests(t, dir)
		k := only[*kustomize.Kustomization](t, ms)
		want := map[string]bool{}
		for _, m := range ms {
			_, isSecret := m.obj.(*corev1.Secret)
			_, isKustomization := m.obj.(*kustomize.Kustomization)
			if !isSecret && !isKustomization {
				want[filepath.Base(m.file)] = true
			}
		}
		got := map[string]bool{}
		for _, r := range k.Resources {
			got[r] = true
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s/kustomization.yaml lists %v; want every manifest but the Secret: %v", dir, k.Resources, slices.Sorted(maps.Keys(want)))
		}
	}
	k := only[*kustomize.Kustomization](t, loadManifests(t, kubernetesDir))
	image := loadServePod(t).container.Image
	for _, img := range k.Images {
		if want := img.Name + ":" + img.NewTag; image != want {
			t.Errorf("the Deployment runs %s; the kustomization sets %s", image, want)
		}
	}
}
