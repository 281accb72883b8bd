import Foundation
import Testing
import Yams

/// `k8s/`: the base and every overlay render with `kubectl kustomize`, validate against the
/// Kubernetes 1.30 schemas in strict mode, give the agent the least privilege that reads host
/// logs, and carry a configuration `sluice validate` accepts.
@Suite(.timeLimit(.minutes(3)))
struct ManifestTests {
  /// Kinds defined by CustomResourceDefinitions (the Prometheus Operator's), for which
  /// kubernetes-validate has no schema. What checks them instead: AlertRuleTests runs the
  /// PrometheusRule's groups through promtool; `serviceMonitorScrapesTheAgentsMetricsPort`
  /// checks the ServiceMonitor's selector and port against the Service.
  static let customKinds = ["PrometheusRule", "ServiceMonitor"]

  @Test(arguments: Manifests.kustomizations)
  func rendersAndValidatesStrictlyAgainstKubernetes130(_ directory: String) throws {
    let rendering = try Manifests.render(directory)
    let validate = try Manifests.requireTool(
      "kubernetes-validate", "scripts/test installs it from PyPI (pip install kubernetes-validate)")
    let dir = try TempDirectory()
    let file = dir.file("rendered.yaml").path
    try rendering.text.write(toFile: file, atomically: true, encoding: .utf8)
    let result = try Manifests.run(validate, ["--strict", "-k", "1.30.0", file])
    let output = result.stdout + result.stderr
    #expect(result.status == 0, "\(directory): \(output)")
    #expect(!output.contains("ERROR"), "\(output)")
    let passed = output.split(separator: "\n").filter { $0.contains(" passed for resource ") }
    let skipped = output.split(separator: "\n").filter { $0.contains("Couldn't find schema for kind") }
    let skippedKinds = Set(
      skipped.compactMap { $0.split(separator: " ").drop { $0 != "kind" }.dropFirst().first.map(String.init) })
    #expect(skippedKinds.isSubset(of: Set(Self.customKinds)), "no schema for \(skippedKinds)")
    #expect(passed.count + skipped.count == rendering.objects.count, "\(output)")
    print(
      "\(directory): \(passed.count) objects valid against Kubernetes 1.30 (strict); skipped, no schema for CRD kinds: "
        + "\(skippedKinds.sorted().joined(separator: ", ")) (checked by promtool and by the ServiceMonitor test instead)"
    )
  }

  @Test(arguments: Manifests.kustomizations)
  func theConfigMapsConfigurationPassesValidate(_ directory: String) throws {
    let rendering = try Manifests.render(directory)
    let dir = try TempDirectory()
    let (config, environment) = try Manifests.agentFiles(of: rendering, in: dir.url)
    let result = try Manifests.run(
      AgentProcess.binary.path, ["validate", "--config-dir", config], environment: environment)
    #expect(result.status == 0, "\(directory): \(result.stdout)\(result.stderr)")
    #expect(result.stdout.hasPrefix("OK"), "\(result.stdout)")
    #expect(result.stdout.contains("2 sources (file, journald) → parse, redact, metrics → 1 sink (http, disk buffer)"))
  }

  /// The securityContext and the mounts, asserted over the rendered DaemonSet of every
  /// kustomization (an overlay must not loosen them).
  @Test(arguments: Manifests.kustomizations)
  func theAgentRunsWithTheLeastPrivilegeThatReadsHostLogs(_ directory: String) throws {
    let rendering = try Manifests.render(directory)
    let ds = try rendering.object("DaemonSet", named: "sluice")
    let pod = try #require(ds[path: "spec.template.spec"] as? [String: Any])
    let containers = try #require(pod["containers"] as? [[String: Any]])
    #expect(containers.count == 1)
    let agent = containers[0]
    let security = try #require(agent["securityContext"] as? [String: Any])

    #expect(security["readOnlyRootFilesystem"] as? Bool == true)
    #expect(security["allowPrivilegeEscalation"] as? Bool == false)
    #expect((security["privileged"] as? Bool ?? false) == false)
    let capabilities = try #require(security["capabilities"] as? [String: Any])
    #expect(capabilities["drop"] as? [String] == ["ALL"])
    // Reading 0640 root-owned logs as uid 0 without DAC_OVERRIDE: the one capability kept.
    #expect(capabilities["add"] as? [String] == ["DAC_READ_SEARCH"])
    let seccomp = (security[path: "seccompProfile.type"] ?? pod[path: "securityContext.seccompProfile.type"]) as? String
    #expect(seccomp == "RuntimeDefault")
    // uid 0 is a documented trade-off (docs/deploy-kubernetes.md): it must be explicit.
    #expect(security["runAsUser"] as? Int == 0)
    #expect(security["runAsNonRoot"] as? Bool == false)
    for key in ["hostNetwork", "hostPID", "hostIPC"] { #expect(pod[key] == nil, "\(key) is set") }
    #expect(pod["automountServiceAccountToken"] as? Bool == false)

    // Host paths: the log directories and machine-id read-only; only the state dir writable.
    let volumes = try #require(pod["volumes"] as? [[String: Any]])
    let hostPaths = Dictionary(
      uniqueKeysWithValues: volumes.compactMap { v -> (String, String)? in
        guard let name = v["name"] as? String, let path = v[path: "hostPath.path"] as? String else { return nil }
        return (name, path)
      })
    #expect(
      Set(hostPaths.values)
        == [
          "/var/log/pods", "/var/log/containers", "/var/log/journal", "/run/log/journal", "/etc/machine-id",
          "/var/lib/sluice",
        ])
    let mounts = try #require(agent["volumeMounts"] as? [[String: Any]])
    for mount in mounts {
      let name = try #require(mount["name"] as? String)
      guard let hostPath = hostPaths[name] else { continue }
      #expect(mount["mountPath"] as? String == hostPath, "\(name) is mounted where the configuration expects it")
      let readOnly = mount["readOnly"] as? Bool ?? false
      #expect(readOnly == (hostPath != "/var/lib/sluice"), "\(hostPath): readOnly \(readOnly)")
    }
    #expect(Set(mounts.compactMap { $0["name"] as? String }).isSuperset(of: Set(hostPaths.keys)))

    // Every node, one at a time, with a grace period above the agent's shutdown_grace.
    #expect(
      (pod["tolerations"] as? [[String: Any]])?.contains { $0["operator"] as? String == "Exists" && $0["key"] == nil }
        == true)
    #expect(ds[path: "spec.updateStrategy.type"] as? String == "RollingUpdate")
    #expect(ds[path: "spec.updateStrategy.rollingUpdate.maxUnavailable"] as? Int == 1)
    let grace = try #require(pod["terminationGracePeriodSeconds"] as? Int)
    let node = try #require(
      try rendering.object("ConfigMap", named: "sluice-config")[path: "data"] as? [String: String])
    let shutdown = try #require(
      node.values.compactMap { (try? Yams.load(yaml: $0)) as? [String: Any] }.compactMap {
        $0["shutdown_grace"] as? String
      }
      .first)
    let shutdownSeconds = try #require(Int(shutdown.dropLast()), "shutdown_grace \(shutdown) in whole seconds")
    #expect(shutdown.hasSuffix("s") && grace > shutdownSeconds, "grace \(grace)s, shutdown_grace \(shutdown)")

    // A priority class that exists, probes on the admin port, the node's name.
    let priority = try #require(pod["priorityClassName"] as? String)
    #expect(!rendering.objects("PriorityClass", named: priority).isEmpty)
    #expect(agent[path: "livenessProbe.httpGet.path"] as? String == "/healthz")
    #expect(agent[path: "readinessProbe.httpGet.path"] as? String == "/readyz")
    #expect(agent[path: "startupProbe.httpGet.path"] as? String == "/healthz")
    let env = try #require(agent["env"] as? [[String: Any]])
    #expect(
      env.contains {
        $0["name"] as? String == "NODE_NAME" && $0[path: "valueFrom.fieldRef.fieldPath"] as? String == "spec.nodeName"
      })
    for key in ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"] {
      #expect(agent[path: "resources.\(key)"] != nil, "resources.\(key)")
    }
  }

  /// The agent makes no API calls: no RBAC objects, no token.
  @Test(arguments: Manifests.kustomizations)
  func noKubernetesAPIAccessIsGranted(_ directory: String) throws {
    let rendering = try Manifests.render(directory)
    for kind in ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"] {
      #expect(rendering.objects(kind).isEmpty, "\(kind) in \(directory)")
    }
    #expect(try rendering.object("ServiceAccount", named: "sluice")["automountServiceAccountToken"] as? Bool == false)
  }

  /// The headless Service selects the agent's pods, and the ServiceMonitor scrapes that
  /// Service's metrics port, labelling series with the node.
  @Test func serviceMonitorScrapesTheAgentsMetricsPort() throws {
    let rendering = try Manifests.render("k8s")
    let ds = try rendering.object("DaemonSet", named: "sluice")
    let podLabels = try #require(ds[path: "spec.template.metadata.labels"] as? [String: String])
    let service = try rendering.object("Service", named: "sluice")
    #expect(service[path: "spec.clusterIP"] as? String == "None")
    let selector = try #require(service[path: "spec.selector"] as? [String: String])
    #expect(selector.allSatisfy { podLabels[$0.key] == $0.value })
    let ports = try #require(service[path: "spec.ports"] as? [[String: Any]])
    let containerPorts = try #require(
      (ds[path: "spec.template.spec.containers"] as? [[String: Any]])?.first?["ports"] as? [[String: Any]])
    #expect(containerPorts.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == 9464 })
    #expect(ports.contains { $0["name"] as? String == "metrics" && $0["targetPort"] as? String == "metrics" })

    let monitor = try rendering.object("ServiceMonitor", named: "sluice")
    let match = try #require(monitor[path: "spec.selector.matchLabels"] as? [String: String])
    let serviceLabels = try #require(service[path: "metadata.labels"] as? [String: String])
    #expect(match.allSatisfy { serviceLabels[$0.key] == $0.value })
    let endpoints = try #require(monitor[path: "spec.endpoints"] as? [[String: Any]])
    #expect(endpoints.first?["port"] as? String == "metrics")
    #expect(endpoints.first?["path"] as? String == "/metrics")
    let relabel = try #require(endpoints.first?["relabelings"] as? [[String: Any]])
    #expect(relabel.contains { $0["targetLabel"] as? String == "node" })
  }
}
