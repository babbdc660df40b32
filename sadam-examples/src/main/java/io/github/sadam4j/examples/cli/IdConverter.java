package io.github.sadam4j.examples.cli;

import java.util.Objects;
import java.util.function.Function;
import picocli.CommandLine;

/**
 * A picocli converter from a command-line id to a value through a parse function whose
 * {@link IllegalArgumentException} message names the bad value and the allowed ones; picocli reports that message as
 * a usage error. Subclass it with a no-argument constructor (picocli instantiates converters by class):
 * {@code static final class ScheduleConverter extends IdConverter<LrSchedule> { ScheduleConverter() {
 * super(LrSchedule::fromId); } }}.
 *
 * @param <T> the value type
 */
public abstract class IdConverter<T> implements CommandLine.ITypeConverter<T> {
    private final Function<String, T> parse;

    /** @param parse the parse function, throwing {@link IllegalArgumentException} for an unknown id */
    protected IdConverter(Function<String, T> parse) {
        this.parse = Objects.requireNonNull(parse, "parse");
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
