set grid
set key outside right
set xlabel 'NN-Mass'
set ylabel 'test accuracy (%)'
set terminal pngcairo size 900,560
set output 'docs/results/paper-mlp/report/plots/acc_vs_nnmass.png'
plot 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 16', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 20', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_3.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 28', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_4.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 32'
set terminal svg size 900,560
set output 'docs/results/paper-mlp/report/plots/acc_vs_nnmass.svg'
plot 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 16', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 20', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_3.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 28', 'docs/results/paper-mlp/report/plots/acc_vs_nnmass_4.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 32'
