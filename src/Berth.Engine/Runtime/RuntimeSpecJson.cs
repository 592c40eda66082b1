using System.Buffers;
using System.Text.Json;
using static Berth.Engine.Json.JsonMembers;

namespace Berth.Engine.Runtime;

/// <summary>
/// A bundle's config.json written by hand, byte for byte as <see cref="RuntimeSpecJsonContext"/> writes it: camelCase
/// names, null members left out, indented.
/// </summary>
/// <remarks>
/// Why not through the serializer: even its generated fast path builds converters for the nullable numbers on the first
/// write, which is the first use of the serializer in a `run` (~2 ms and 0.2 MB of fresh heap on a 2-core machine). A test
/// checks the bytes against the serializer for a spec with every member set.
/// </remarks>
public static class RuntimeSpecJson
{
    public static string Write(RuntimeSpec spec) => System.Text.Encoding.UTF8.GetString(WriteUtf8(spec).Span);

    public static ReadOnlyMemory<byte> WriteUtf8(RuntimeSpec spec)
    {
        var buffer = new ArrayBufferWriter<byte>(32 * 1024);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            StringUnlessNull(w, "ociVersion", spec.OciVersion);
            if (spec.Process is { } process)
            {
                w.WritePropertyName("process");
                WriteProcess(w, process);
            }
            if (spec.Root is { } root)
            {
                w.WriteStartObject("root");
                StringUnlessNull(w, "path", root.Path);
                BooleanUnlessNull(w, "readonly", root.Readonly);
                w.WriteEndObject();
            }
            StringUnlessNull(w, "hostname", spec.Hostname);
            Objects(w, "mounts", spec.Mounts, WriteMount);
            if (spec.Linux is { } linux) WriteLinux(w, linux);
            MapUnlessNull(w, "annotations", spec.Annotations);
            w.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    static void WriteProcess(Utf8JsonWriter w, OciProcess process)
    {
        w.WriteStartObject();
        BooleanUnlessNull(w, "terminal", process.Terminal);
        if (process.ConsoleSize is { } size)
        {
            w.WriteStartObject("consoleSize");
            w.WriteNumber("height", size.Height);
            w.WriteNumber("width", size.Width);
            w.WriteEndObject();
        }
        if (process.User is { } user)
        {
            w.WriteStartObject("user");
            w.WriteNumber("uid", user.Uid);
            w.WriteNumber("gid", user.Gid);
            NumberUnlessNull(w, "umask", user.Umask);
            if (user.AdditionalGids is { } gids)
            {
                w.WriteStartArray("additionalGids");
                foreach (uint gid in gids) w.WriteNumberValue(gid);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        StringsUnlessNull(w, "args", process.Args);
        StringsUnlessNull(w, "env", process.Env);
        StringUnlessNull(w, "cwd", process.Cwd);
        if (process.Capabilities is { } caps)
        {
            w.WriteStartObject("capabilities");
            StringsUnlessNull(w, "bounding", caps.Bounding);
            StringsUnlessNull(w, "effective", caps.Effective);
            StringsUnlessNull(w, "inheritable", caps.Inheritable);
            StringsUnlessNull(w, "permitted", caps.Permitted);
            StringsUnlessNull(w, "ambient", caps.Ambient);
            w.WriteEndObject();
        }
        Objects(w, "rlimits", process.Rlimits, static (w, limit) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "type", limit.Type);
            w.WriteNumber("hard", limit.Hard);
            w.WriteNumber("soft", limit.Soft);
            w.WriteEndObject();
        });
        BooleanUnlessNull(w, "noNewPrivileges", process.NoNewPrivileges);
        StringUnlessNull(w, "apparmorProfile", process.ApparmorProfile);
        NumberUnlessNull(w, "oomScoreAdj", process.OomScoreAdj);
        w.WriteEndObject();
    }

    static void WriteMount(Utf8JsonWriter w, OciMount mount)
    {
        w.WriteStartObject();
        StringUnlessNull(w, "destination", mount.Destination);
        StringUnlessNull(w, "type", mount.Type);
        StringUnlessNull(w, "source", mount.Source);
        StringsUnlessNull(w, "options", mount.Options);
        w.WriteEndObject();
    }

    static void WriteLinux(Utf8JsonWriter w, OciLinux linux)
    {
        w.WriteStartObject("linux");
        Objects(w, "uidMappings", linux.UidMappings, WriteIdMapping);
        Objects(w, "gidMappings", linux.GidMappings, WriteIdMapping);
        MapUnlessNull(w, "sysctl", linux.Sysctl);
        if (linux.Resources is { } resources) WriteResources(w, resources);
        StringUnlessNull(w, "cgroupsPath", linux.CgroupsPath);
        Objects(w, "namespaces", linux.Namespaces, static (w, ns) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "type", ns.Type);
            StringUnlessNull(w, "path", ns.Path);
            w.WriteEndObject();
        });
        Objects(w, "devices", linux.Devices, static (w, device) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "path", device.Path);
            StringUnlessNull(w, "type", device.Type);
            w.WriteNumber("major", device.Major);
            w.WriteNumber("minor", device.Minor);
            NumberUnlessNull(w, "fileMode", device.FileMode);
            NumberUnlessNull(w, "uid", device.Uid);
            NumberUnlessNull(w, "gid", device.Gid);
            w.WriteEndObject();
        });
        if (linux.Seccomp is { } seccomp) WriteSeccomp(w, seccomp);
        StringUnlessNull(w, "rootfsPropagation", linux.RootfsPropagation);
        StringsUnlessNull(w, "maskedPaths", linux.MaskedPaths);
        StringsUnlessNull(w, "readonlyPaths", linux.ReadonlyPaths);
        w.WriteEndObject();
    }

    static void WriteIdMapping(Utf8JsonWriter w, OciIdMapping mapping)
    {
        w.WriteStartObject();
        w.WriteNumber("containerID", mapping.ContainerId);
        w.WriteNumber("hostID", mapping.HostId);
        w.WriteNumber("size", mapping.Size);
        w.WriteEndObject();
    }

    static void WriteResources(Utf8JsonWriter w, OciResources resources)
    {
        w.WriteStartObject("resources");
        Objects(w, "devices", resources.Devices, static (w, rule) =>
        {
            w.WriteStartObject();
            w.WriteBoolean("allow", rule.Allow);
            StringUnlessNull(w, "type", rule.Type);
            NumberUnlessNull(w, "major", rule.Major);
            NumberUnlessNull(w, "minor", rule.Minor);
            StringUnlessNull(w, "access", rule.Access);
            w.WriteEndObject();
        });
        if (resources.Memory is { } memory)
        {
            w.WriteStartObject("memory");
            NumberUnlessNull(w, "limit", memory.Limit);
            NumberUnlessNull(w, "reservation", memory.Reservation);
            NumberUnlessNull(w, "swap", memory.Swap);
            if (memory.DisableOomKiller is { } disable) w.WriteBoolean("disableOOMKiller", disable);
            w.WriteEndObject();
        }
        if (resources.Cpu is { } cpu)
        {
            w.WriteStartObject("cpu");
            NumberUnlessNull(w, "shares", cpu.Shares);
            NumberUnlessNull(w, "quota", cpu.Quota);
            NumberUnlessNull(w, "period", cpu.Period);
            StringUnlessNull(w, "cpus", cpu.Cpus);
            StringUnlessNull(w, "mems", cpu.Mems);
            w.WriteEndObject();
        }
        if (resources.Pids is { } pids)
        {
            w.WriteStartObject("pids");
            w.WriteNumber("limit", pids.Limit);
            w.WriteEndObject();
        }
        if (resources.BlockIo is { } blockIo) WriteBlockIo(w, blockIo);
        w.WriteEndObject();
    }

    static void WriteBlockIo(Utf8JsonWriter w, OciBlockIo blockIo)
    {
        w.WriteStartObject("blockIO");
        if (blockIo.Weight is { } weight) w.WriteNumber("weight", weight);
        Objects(w, "weightDevice", blockIo.WeightDevice, static (w, device) =>
        {
            w.WriteStartObject();
            w.WriteNumber("major", device.Major);
            w.WriteNumber("minor", device.Minor);
            w.WriteNumber("weight", device.Weight);
            w.WriteEndObject();
        });
        WriteThrottles(w, "throttleReadBpsDevice", blockIo.ThrottleReadBpsDevice);
        WriteThrottles(w, "throttleWriteBpsDevice", blockIo.ThrottleWriteBpsDevice);
        WriteThrottles(w, "throttleReadIOPSDevice", blockIo.ThrottleReadIopsDevice);
        WriteThrottles(w, "throttleWriteIOPSDevice", blockIo.ThrottleWriteIopsDevice);
        w.WriteEndObject();
    }

    static void WriteThrottles(Utf8JsonWriter w, string name, IReadOnlyList<OciThrottleDevice>? devices) =>
        Objects(w, name, devices, static (w, device) =>
        {
            w.WriteStartObject();
            w.WriteNumber("major", device.Major);
            w.WriteNumber("minor", device.Minor);
            w.WriteNumber("rate", device.Rate);
            w.WriteEndObject();
        });

    static void WriteSeccomp(Utf8JsonWriter w, OciSeccomp seccomp)
    {
        w.WriteStartObject("seccomp");
        StringUnlessNull(w, "defaultAction", seccomp.DefaultAction);
        NumberUnlessNull(w, "defaultErrnoRet", seccomp.DefaultErrnoRet);
        StringsUnlessNull(w, "architectures", seccomp.Architectures);
        Objects(w, "syscalls", seccomp.Syscalls, static (w, rule) =>
        {
            w.WriteStartObject();
            StringsUnlessNull(w, "names", rule.Names);
            StringUnlessNull(w, "action", rule.Action);
            NumberUnlessNull(w, "errnoRet", rule.ErrnoRet);
            Objects(w, "args", rule.Args, static (w, arg) =>
            {
                w.WriteStartObject();
                w.WriteNumber("index", arg.Index);
                w.WriteNumber("value", arg.Value);
                w.WriteNumber("valueTwo", arg.ValueTwo);
                StringUnlessNull(w, "op", arg.Op);
                w.WriteEndObject();
            });
            w.WriteEndObject();
        });
        w.WriteEndObject();
    }
}
