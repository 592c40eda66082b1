using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Engine.Images;
using Berth.Engine.Metadata;

namespace Berth.Engine.Services.Containers;

public sealed partial class ContainerService
{
    /// <summary>Go's RFC 3339 with nanoseconds, trailing zeros trimmed; the zero time for "never", as Docker prints.</summary>
    public static string FormatTime(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture) : "0001-01-01T00:00:00Z";

    /// <summary>Docker-shaped `inspect` JSON of a container.</summary>
    public JsonObject Inspect(string nameOrId)
    {
        var c = Get(nameOrId);
        var s = c.Settings;
        var h = s.HostConfig;
        string dir = ContainerDirectory(c.Id);
        var state = new JsonObject
        {
            ["Status"] = c.State.StatusText,
            ["Running"] = c.IsRunning,
            ["Paused"] = c.State.Status == ContainerStatus.Paused,
            ["Restarting"] = c.State.Status == ContainerStatus.Restarting,
            ["OOMKilled"] = c.State.OomKilled,
            ["Dead"] = c.State.Status == ContainerStatus.Dead,
            ["Pid"] = c.IsRunning ? c.State.Pid : 0,
            ["ExitCode"] = c.State.ExitCode,
            ["Error"] = c.State.Error,
            ["StartedAt"] = FormatTime(c.State.StartedAt),
            ["FinishedAt"] = FormatTime(c.State.FinishedAt),
        };
        if (HealthOf(c.Id) is { } health) state["Health"] = HealthJson(health);
        var snapshot = Path.Combine(_store.Snapshots.SnapshotsDirectory, "active-" + c.Id);
        var lowers = _store.Metadata.ImageLayers(c.ImageId).Select(l => _store.Snapshots.LayerDirectory(l.ChainId)).Reverse().ToList();
        var graph = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                ["LowerDir"] = string.Join(':', lowers),
                ["MergedDir"] = RootfsPath(c.Id),
                ["UpperDir"] = Path.Combine(snapshot, "fs"),
                ["WorkDir"] = Path.Combine(snapshot, "work"),
            },
            ["Name"] = "overlay2",
        };
        var mounts = new JsonArray();
        foreach (var m in s.Mounts)
        {
            string? source = m.Type == "bind" ? m.Source : VolumeSource(m);
            if (source is null) continue;
            var o = new JsonObject { ["Type"] = m.Type };
            if (m.Type == "volume") o["Name"] = m.Name ?? "";
            o["Source"] = source;
            o["Destination"] = m.Destination;
            if (m.Type == "volume") o["Driver"] = "local";
            o["Mode"] = m.Options;
            o["RW"] = m.ReadWrite;
            o["Propagation"] = m.Type == "bind" ? "rprivate" : "";
            mounts.Add((JsonNode)o);
        }
        var portBindings = new JsonObject();
        var ports = new JsonObject();
        foreach (var group in s.Ports.GroupBy(p => $"{p.ContainerPort}/{p.Protocol}"))
        {
            portBindings[group.Key] = new JsonArray(group.Select(p => (JsonNode)new JsonObject { ["HostIp"] = p.HostIp, ["HostPort"] = p.HostPort.ToString(CultureInfo.InvariantCulture) }).ToArray());
            ports[group.Key] = c.IsRunning ? portBindings[group.Key]!.DeepClone() : null;
        }
        foreach (var exposed in s.Config.ExposedPorts?.Keys ?? Enumerable.Empty<string>())
            if (!ports.ContainsKey(exposed)) ports[exposed] = null;

        var hostConfig = new JsonObject
        {
            ["Binds"] = h.Binds.Count > 0 ? Strings(h.Binds) : null,
            ["ContainerIDFile"] = "",
            ["LogConfig"] = new JsonObject { ["Type"] = "k8s-file", ["Config"] = new JsonObject() },
            ["NetworkMode"] = h.NetworkMode,
            ["PortBindings"] = portBindings,
            ["RestartPolicy"] = new JsonObject { ["Name"] = h.RestartPolicy.Name, ["MaximumRetryCount"] = h.RestartPolicy.MaximumRetryCount },
            ["AutoRemove"] = h.AutoRemove,
            ["CapAdd"] = h.CapAdd.Count > 0 ? Strings(h.CapAdd) : null,
            ["CapDrop"] = h.CapDrop.Count > 0 ? Strings(h.CapDrop) : null,
            ["Privileged"] = h.Privileged,
            ["ReadonlyRootfs"] = h.ReadonlyRootfs,
            ["SecurityOpt"] = h.SecurityOpt.Count > 0 ? Strings(h.SecurityOpt) : null,
            ["Tmpfs"] = h.Tmpfs.Count > 0 ? new JsonObject(h.Tmpfs.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) : null,
            ["Runtime"] = h.Runtime,
            ["Memory"] = h.Memory,
            ["MemoryReservation"] = h.MemoryReservation,
            ["MemorySwap"] = h.MemorySwap,
            ["PublishAllPorts"] = h.PublishAllPorts,
            ["NanoCpus"] = h.NanoCpus,
            ["PidsLimit"] = h.PidsLimit,
            ["OomKillDisable"] = h.OomKillDisable,
            ["DeviceCgroupRules"] = h.DeviceCgroupRules.Count > 0 ? Strings(h.DeviceCgroupRules) : null,
            ["BlkioWeight"] = h.BlkioWeight,
            ["BlkioWeightDevice"] = new JsonArray(h.BlkioWeightDevice.Select(d => (JsonNode)new JsonObject { ["Path"] = d.Path, ["Weight"] = d.Weight }).ToArray()),
            ["BlkioDeviceReadBps"] = Throttles(h.BlkioDeviceReadBps),
            ["BlkioDeviceWriteBps"] = Throttles(h.BlkioDeviceWriteBps),
            ["BlkioDeviceReadIOps"] = Throttles(h.BlkioDeviceReadIOps),
            ["BlkioDeviceWriteIOps"] = Throttles(h.BlkioDeviceWriteIOps),
            ["Init"] = h.Init ? true : null,
            ["Devices"] = new JsonArray(h.Devices.Select(d => (JsonNode)new JsonObject
            {
                ["PathOnHost"] = d.PathOnHost, ["PathInContainer"] = d.PathInContainer, ["CgroupPermissions"] = d.CgroupPermissions,
            }).ToArray()),
            ["Dns"] = Strings(h.Dns),
            ["DnsOptions"] = Strings(h.DnsOptions),
            ["DnsSearch"] = Strings(h.DnsSearch),
            ["ExtraHosts"] = h.ExtraHosts.Count > 0 ? Strings(h.ExtraHosts) : null,
            ["IpcMode"] = h.IpcMode,
            ["PidMode"] = h.PidMode,
            ["UTSMode"] = h.UTSMode,
            ["ShmSize"] = h.ShmSize,
            ["Sysctls"] = h.Sysctls.Count > 0 ? new JsonObject(h.Sysctls.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) : null,
            ["CpuShares"] = h.CpuShares,
            ["CpusetCpus"] = h.CpusetCpus,
            ["CpusetMems"] = h.CpusetMems,
            ["Ulimits"] = h.Ulimits.Count > 0
                ? new JsonArray(h.Ulimits.Select(u => (JsonNode)new JsonObject { ["Name"] = u.Name, ["Hard"] = u.Hard, ["Soft"] = u.Soft }).ToArray())
                : null,
        };
        var config = JsonNode.Parse(JsonSerializer.Serialize(s.Config, ImageJsonContext.Default.ContainerConfig))!.AsObject();
        string sandboxKey = NetworkNamespacePath(c) ?? "";
        // In another container's network its /etc files are that container's (see PrepareBundle).
        string files = NetworkFilesDirectory(h.NetworkMode, dir);
        return new JsonObject
        {
            ["Id"] = c.Id,
            ["Created"] = FormatTime(c.Created),
            ["Path"] = s.Path,
            ["Args"] = Strings(s.Args),
            ["State"] = state,
            ["Image"] = c.ImageId.ToString(),
            ["ResolvConfPath"] = Path.Combine(files, "resolv.conf"),
            ["HostnamePath"] = Path.Combine(files, "hostname"),
            ["HostsPath"] = Path.Combine(files, "hosts"),
            ["LogPath"] = LogPath(c.Id),
            ["Name"] = "/" + c.Name,
            ["RestartCount"] = c.State.RestartCount,
            ["Driver"] = "overlay2",
            ["Platform"] = "linux",
            ["MountLabel"] = "",
            ["ProcessLabel"] = "",
            ["AppArmorProfile"] = "",
            ["ExecIDs"] = null,
            ["HostConfig"] = hostConfig,
            ["GraphDriver"] = graph,
            ["Mounts"] = mounts,
            ["Config"] = config,
            ["NetworkSettings"] = new JsonObject
            {
                ["Bridge"] = "",
                ["SandboxID"] = "",
                ["HairpinMode"] = false,
                ["Ports"] = ports,
                ["SandboxKey"] = sandboxKey,
                ["Gateway"] = "",
                ["IPAddress"] = "",
                ["IPPrefixLen"] = 0,
                ["MacAddress"] = "",
                // In another container's network it has none of its own (Docker: an empty object).
                ["Networks"] = JoinedId(h.NetworkMode) is not null ? new JsonObject()
                    : new JsonObject { [h.NetworkMode == "default" ? "bridge" : h.NetworkMode] = new JsonObject { ["IPAddress"] = "", ["Gateway"] = "" } },
            },
        };
    }

    static JsonArray Throttles(IEnumerable<BlkioThrottleDevice> devices) =>
        new(devices.Select(d => (JsonNode)new JsonObject { ["Path"] = d.Path, ["Rate"] = d.Rate }).ToArray());

    static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
