package org.vlalign.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlalign.InvalidArgumentException;

class PairedDecodeTest {
    @Test
    void should_read_avg_ts_from_llama_bench_csv_with_quoted_fields() {
        String csv = "build_commit,n_gen,avg_ns,stddev_ns,avg_ts,stddev_ts\n"
                + "\"c392e5094\",\"64\",\"479206797\",\"0\",\"133.554032\",\"0.000000\"\n";
        assertEquals(133.554032, PairedDecode.avgTs(csv), 1e-9);
    }

    @Test
    void should_read_the_first_row_and_accept_unquoted_fields_and_crlf() {
        String csv = "\r\nmodel,avg_ts\r\nm134,52.5\r\nm134,99\r\n";
        assertEquals(52.5, PairedDecode.avgTs(csv), 0);
    }

    @Test
    void should_name_what_is_missing() {
        InvalidArgumentException noColumn = assertThrows(InvalidArgumentException.class,
                () -> PairedDecode.avgTs("model,t_s\nm134,52.5\n"));
        assertTrue(noColumn.getMessage().contains("avg_ts"), noColumn.getMessage());
        InvalidArgumentException noRow = assertThrows(InvalidArgumentException.class,
                () -> PairedDecode.avgTs("model,avg_ts\n"));
        assertTrue(noRow.getMessage().contains("no CSV row"), noRow.getMessage());
    }

    @Test
    void should_refuse_counts_that_are_not_whole_numbers_or_too_small() {
        assertEquals(64, PairedDecode.count("TOKENS", " 64", 2));
        InvalidArgumentException word = assertThrows(InvalidArgumentException.class,
                () -> PairedDecode.count("TOKENS", "q8", 2));
        assertTrue(word.getMessage().contains("TOKENS") && word.getMessage().contains("'q8'"), word.getMessage());
        InvalidArgumentException small = assertThrows(InvalidArgumentException.class,
                () -> PairedDecode.count("PAIRS", "0", 1));
        assertTrue(small.getMessage().contains("PAIRS must be at least 1"), small.getMessage());
    }
}
