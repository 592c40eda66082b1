using Berth.Engine.Dockerfile.Instructions;
using Berth.Engine.Dockerfile.Syntax;

namespace Berth.Tests.Dockerfile.Checks;

/// <summary>The comments just above an instruction, which per-instruction <c># check=</c> comments rely on, as BuildKit collects them.</summary>
public sealed class InstructionCommentsTests
{
    [Fact]
    public void Comments_above_an_instruction_are_kept_without_directives()
    {
        var ast = DockerfileParser.Parse("# syntax=docker/dockerfile:1\n# base image\n\n#   builds things  \nFROM alpine AS build\nRUN x\n# one\n#\n# two\nCMD [\"y\"]\n");
        Assert.Equal(["base image", "builds things"], ast.Instructions[0].Comments);
        Assert.Empty(ast.Instructions[1].Comments);
        Assert.Equal(["two"], ast.Instructions[2].Comments);
    }

    [Fact]
    public void Comments_inside_a_continuation_belong_to_no_instruction()
    {
        var ast = DockerfileParser.Parse("FROM a\nRUN echo \\\n# inside\n  hi\nCMD [\"b\"]\n");
        Assert.Empty(ast.Instructions[1].Comments);
        Assert.Empty(ast.Instructions[2].Comments);
    }

    [Fact]
    public void Typed_instructions_carry_their_comments()
    {
        var model = DockerfileModel.Parse("FROM a\n# the port\nEXPOSE 80\n");
        Assert.Equal(["the port"], model.Stages[0].Instructions[0].Comments);
    }
}
