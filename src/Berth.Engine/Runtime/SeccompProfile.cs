using System.Globalization;
using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>
/// A seccomp profile with conditional groups (Docker's format in spirit), resolved per container into the
/// <see cref="OciSeccomp"/> the runtime loads: groups apply only when their capability, architecture and kernel
/// conditions hold for that container, as Docker's setupSeccomp does.
/// </summary>
public sealed class SeccompProfile
{
    /// <summary>One group of syscalls sharing an action and conditions.</summary>
    public sealed record Group(
        IReadOnlyList<string> Names,
        string Action,
        uint? ErrnoRet,
        IReadOnlyList<string> IfCaps,
        IReadOnlyList<string> UnlessCaps,
        IReadOnlyList<string> IfArches,
        IReadOnlyList<string> UnlessArches,
        Version? MinKernel,
        IReadOnlyList<OciSyscallArg> Args);

    /// <summary>Native architecture (libseccomp name) → the seccomp architectures a filter must cover.</summary>
    private static readonly Dictionary<string, string[]> ArchMap = new()
    {
        ["amd64"] = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        ["arm64"] = ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
        ["s390x"] = ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
        ["riscv64"] = ["SCMP_ARCH_RISCV64"],
        ["ppc64le"] = ["SCMP_ARCH_PPC64LE"],
        ["loongarch64"] = ["SCMP_ARCH_LOONGARCH64"],
    };

    public string DefaultAction { get; }
    public uint? DefaultErrnoRet { get; }
    public IReadOnlyList<Group> Groups { get; }

    public SeccompProfile(string defaultAction, uint? defaultErrnoRet, IReadOnlyList<Group> groups)
    {
        DefaultAction = defaultAction;
        DefaultErrnoRet = defaultErrnoRet;
        Groups = groups;
    }

    /// <summary>Docker's default profile: deny with EPERM, allow the listed syscalls.</summary>
    public static SeccompProfile DockerDefault { get; } = Parse(SeccompProfileData.Text, "SCMP_ACT_ERRNO", 1);

    /// <summary>The running process's architecture in libseccomp's naming.</summary>
    public static string NativeArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.X86 => "x86",
        Architecture.Arm64 => "arm64",
        Architecture.Arm => "arm",
        Architecture.S390x => "s390x",
        Architecture.RiscV64 => "riscv64",
        Architecture.Ppc64le => "ppc64le",
        Architecture.LoongArch64 => "loongarch64",
        var other => other.ToString().ToLowerInvariant(),
    };

    /// <summary>The running kernel's version (major.minor[.patch]).</summary>
    public static Version KernelVersion => Environment.OSVersion.Version;

    /// <summary>Parses the group text format described in <see cref="SeccompProfileData"/>.</summary>
    public static SeccompProfile Parse(string text, string defaultAction, uint? defaultErrnoRet)
    {
        var groups = new List<Group>();
        var blocks = text.Replace("\r\n", "\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var block in blocks)
        {
            var lines = block.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var names = lines.Skip(1).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
            string action;
            uint? errno = null;
            int i = 1;
            if (header[0] == "allow") action = "SCMP_ACT_ALLOW";
            else if (header[0] == "errno")
            {
                action = "SCMP_ACT_ERRNO";
                errno = uint.Parse(header[1], CultureInfo.InvariantCulture);
                i = 2;
            }
            else throw new FormatException($"seccomp profile: unknown action \"{header[0]}\"");

            string[] ifCaps = [], unlessCaps = [], ifArches = [], unlessArches = [];
            Version? minKernel = null;
            var args = new List<OciSyscallArg>();
            for (; i < header.Length; i++)
            {
                var (key, value) = header[i].IndexOf('=') is var eq and > 0 ? (header[i][..eq], header[i][(eq + 1)..]) : (header[i], "");
                switch (key)
                {
                    case "if-cap": ifCaps = value.Split(','); break;
                    case "unless-cap": unlessCaps = value.Split(','); break;
                    case "if-arch": ifArches = value.Split(','); break;
                    case "unless-arch": unlessArches = value.Split(','); break;
                    case "if-kernel": minKernel = Version.Parse(value); break;
                    case var a when a.StartsWith("arg", StringComparison.Ordinal):
                        var parts = a[3..].Split(':');
                        args.Add(new OciSyscallArg(
                            uint.Parse(parts[0], CultureInfo.InvariantCulture),
                            ulong.Parse(parts[2], CultureInfo.InvariantCulture),
                            parts.Length > 3 ? ulong.Parse(parts[3], CultureInfo.InvariantCulture) : 0,
                            "SCMP_CMP_" + parts[1].ToUpperInvariant()));
                        break;
                    default: throw new FormatException($"seccomp profile: unknown condition \"{header[i]}\"");
                }
            }
            groups.Add(new Group(names, action, errno, ifCaps, unlessCaps, ifArches, unlessArches, minKernel, args));
        }
        return new SeccompProfile(defaultAction, defaultErrnoRet, groups);
    }

    /// <summary>
    /// The filter for a container whose bounding set is <paramref name="boundingCaps"/>: keeps the groups whose
    /// conditions hold, in order, and lists the native architecture with its sub-architectures (x32 only where the kernel
    /// runs x32 programs: <see cref="X32Abi"/>; for the running machine unless <paramref name="nativeArch"/> is given).
    /// </summary>
    public OciSeccomp Resolve(IReadOnlyCollection<string> boundingCaps, string? nativeArch = null, Version? kernel = null, bool? x32 = null)
    {
        x32 ??= nativeArch is null ? X32Abi.Enabled : true;
        nativeArch ??= NativeArch;
        kernel ??= KernelVersion;
        var rules = new List<OciSyscallRule>();
        foreach (var g in Groups)
        {
            if (g.UnlessArches.Contains(nativeArch)) continue;
            if (g.UnlessCaps.Any(boundingCaps.Contains)) continue;
            if (g.IfArches.Count > 0 && !g.IfArches.Contains(nativeArch)) continue;
            if (g.IfCaps.Any(c => !boundingCaps.Contains(c))) continue;
            if (g.MinKernel is { } min && kernel < min) continue;
            rules.Add(new OciSyscallRule
            {
                Names = g.Names,
                Action = g.Action,
                ErrnoRet = g.ErrnoRet,
                Args = g.Args.Count > 0 ? g.Args : null,
            });
        }
        return new OciSeccomp
        {
            DefaultAction = DefaultAction,
            DefaultErrnoRet = DefaultErrnoRet,
            Architectures = ArchMap.TryGetValue(nativeArch, out var arches) ? x32.Value ? arches : [.. arches.Where(a => a != "SCMP_ARCH_X32")] : null,
            Syscalls = rules,
        };
    }
}
