using Berth.Engine;

namespace Berth.Cli.Commands;

/// <summary>Docker's "Are you sure you want to continue? [y/N]" prompt for destructive verbs without --force.</summary>
/// <remarks>Only a terminal is asked: with stdin redirected nobody can answer, so the verb refuses instead of guessing.</remarks>
public static class Confirmation
{
    public static bool Ask(CommandContext context, string warning)
    {
        if (Console.IsInputRedirected)
            throw new InvalidInputException("stdin is not a terminal, so the prompt cannot be confirmed: use --force (-f) to skip it");
        context.Out.Write(warning + "\nAre you sure you want to continue? [y/N] ");
        context.Out.Flush();
        string answer = (Console.In.ReadLine() ?? "").Trim();
        return answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase);
    }
}
