using System.Buffers;
using System.Text.Json;

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
            String(w, "ociVersion", spec.OciVersion);
            if (spec.Process is { } process)
            {
                w.WritePropertyName("process");
                WriteProcess(w, process);
            }
            if (spec.Root is { } root)
            {
                w.WriteStartObject("root");
                String(w, "path", root.Path);
                Boolean(w, "readonly", root.Readonly);
                w.WriteEndObject();
            }
            String(w, "hostname", spec.Hostname);
            Objects(w, "mounts", spec.Mounts, WriteMount);
            if (spec.Linux is { } linux) WriteLinux(w, linux);
            Map(w, "annotations", spec.Annotations);
            w.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    static void WriteProcess(Utf8JsonWriter w, OciProcess process)
    {
        w.WriteStartObject();
        Boolean(w, "terminal", process.Terminal);
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
            Number(w, "umask", user.Umask);
            if (user.AdditionalGids is { } gids)
            {
                w.WriteStartArray("additionalGids");
                foreach (uint gid in gids) w.WriteNumberValue(gid);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        Strings(w, "args", process.Args);
        Strings(w, "env", process.Env);
        String(w, "cwd", process.Cwd);
        if (process.Capabilities is { } caps)
        {
            w.WriteStartObject("capabilities");
            Strings(w, "bounding", caps.Bounding);
            Strings(w, "effective", caps.Effective);
            Strings(w, "inheritable", caps.Inheritable);
            Strings(w, "permitted", caps.Permitted);
            Strings(w, "ambient", caps.Ambient);
            w.WriteEndObject();
        }
        Objects(w, "rlimits", process.Rlimits, static (w, limit) =>
        {
            w.WriteStartObject();
            String(w, "type", limit.Type);
            w.WriteNumber("hard", limit.Hard);
            w.WriteNumber("soft", limit.Soft);
            w.WriteEndObject();
        });
        Boolean(w, "noNewPrivileges", process.NoNewPrivileges);
        String(w, "apparmorProfile", process.ApparmorProfile);
        Number(w, "oomScoreAdj", process.OomScoreAdj);
        w.WriteEndObject();
    }

    static void WriteMount(Utf8JsonWriter w, OciMount mount)
    {
        w.WriteStartObject();
        String(w, "destination", mount.Destination);
        String(w, "type", mount.Type);
        String(w, "source", mount.Source);
        Strings(w, "options", mount.Options);
        w.WriteEndObject();
    }

    static void WriteLinux(Utf8JsonWriter w, OciLinux linux)
    {
        w.WriteStartObject("linux");
        Objects(w, "uidMappings", linux.UidMappings, WriteIdMapping);
        Objects(w, "gidMappings", linux.GidMappings, WriteIdMapping);
        Map(w, "sysctl", linux.Sysctl);
        if (linux.Resources is { } resources) WriteResources(w, resources);
        String(w, "cgroupsPath", linux.CgroupsPath);
        Objects(w, "namespaces", linux.Namespaces, static (w, ns) =>
        {
            w.WriteStartObject();
            String(w, "type", ns.Type);
            String(w, "path", ns.Path);
            w.WriteEndObject();
        });
        Objects(w, "devices", linux.Devices, static (w, device) =>
        {
            w.WriteStartObject();
            String(w, "path", device.Path);
            String(w, "type", device.Type);
            w.WriteNumber("major", device.Major);
            w.WriteNumber("minor", device.Minor);
            Number(w, "fileMode", device.FileMode);
            Number(w, "uid", device.Uid);
            Number(w, "gid", device.Gid);
            w.WriteEndObject();
        });
        if (linux.Seccomp is { } seccomp) WriteSeccomp(w, seccomp);
        String(w, "rootfsPropagation", linux.RootfsPropagation);
        Strings(w, "maskedPaths", linux.MaskedPaths);
        Strings(w, "readonlyPaths", linux.ReadonlyPaths);
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
            String(w, "type", rule.Type);
            Number(w, "major", rule.Major);
            Number(w, "minor", rule.Minor);
            String(w, "access", rule.Access);
            w.WriteEndObject();
        });
        if (resources.Memory is { } memory)
        {
            w.WriteStartObject("memory");
            Number(w, "limit", memory.Limit);
            Number(w, "reservation", memory.Reservation);
            Number(w, "swap", memory.Swap);
            w.WriteEndObject();
        }
        if (resources.Cpu is { } cpu)
        {
            w.WriteStartObject("cpu");
            Number(w, "shares", cpu.Shares);
            Number(w, "quota", cpu.Quota);
            Number(w, "period", cpu.Period);
            String(w, "cpus", cpu.Cpus);
            w.WriteEndObject();
        }
        if (resources.Pids is { } pids)
        {
            w.WriteStartObject("pids");
            w.WriteNumber("limit", pids.Limit);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    static void WriteSeccomp(Utf8JsonWriter w, OciSeccomp seccomp)
    {
        w.WriteStartObject("seccomp");
        String(w, "defaultAction", seccomp.DefaultAction);
        Number(w, "defaultErrnoRet", seccomp.DefaultErrnoRet);
        Strings(w, "architectures", seccomp.Architectures);
        Objects(w, "syscalls", seccomp.Syscalls, static (w, rule) =>
        {
            w.WriteStartObject();
            Strings(w, "names", rule.Names);
            String(w, "action", rule.Action);
            Number(w, "errnoRet", rule.ErrnoRet);
            Objects(w, "args", rule.Args, static (w, arg) =>
            {
                w.WriteStartObject();
                w.WriteNumber("index", arg.Index);
                w.WriteNumber("value", arg.Value);
                w.WriteNumber("valueTwo", arg.ValueTwo);
                String(w, "op", arg.Op);
                w.WriteEndObject();
            });
            w.WriteEndObject();
        });
        w.WriteEndObject();
    }

    static void String(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null) w.WriteString(name, value);
    }

    static void Boolean(Utf8JsonWriter w, string name, bool? value)
    {
        if (value is { } v) w.WriteBoolean(name, v);
    }

    static void Number(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    static void Number(Utf8JsonWriter w, string name, uint? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    static void Number(Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
    }

    static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string>? values)
    {
        if (values is null) return;
        w.WriteStartArray(name);
        foreach (string value in values) w.WriteStringValue(value);
        w.WriteEndArray();
    }

    static void Map(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null) return;
        w.WriteStartObject(name);
        foreach (var (key, value) in map) w.WriteString(key, value);
        w.WriteEndObject();
    }

    static void Objects<T>(Utf8JsonWriter w, string name, IReadOnlyList<T>? items, Action<Utf8JsonWriter, T> write)
    {
        if (items is null) return;
        w.WriteStartArray(name);
        foreach (var item in items) write(w, item);
        w.WriteEndArray();
    }
}
